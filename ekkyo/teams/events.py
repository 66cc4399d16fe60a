"""Audit event codes written by the team doors."""

from django.utils.translation import gettext_lazy as _

from ekkyo.audit.events import event

TEAM_SET_FORM = event("team_set.form", _("Formed a team set"))
TEAM_SET_MEMBER_MOVE = event("team_set.member.move", _("Moved a student to another team"))
TEAM_SET_PUBLISH = event("team_set.publish", _("Published a team set"))
TEAM_SET_VIEW = event("team_set.view", _("Viewed a team set"))
TEAM_SET_EXPORT = event("team_set.export", _("Exported a team set"))
TEAM_THEME_SET = event("team.theme.set", _("Changed a team's theme"))
TEAM_VIEW = event("team.view", _("Viewed a team space"))
TEAM_POST_CREATE = event("team_post.create", _("Posted in a team space"))
TEAM_POST_HIDE = event("team_post.hide", _("Hid a team post"))
TEAM_FILE_UPLOAD = event("team_file.upload", _("Shared a file in a team space"))
TEAM_FILE_DOWNLOAD = event("team_file.download", _("Downloaded a team file"))
TEAM_MENTOR_ADD = event("team_mentor.add", _("Added a mentor to a team"))
TEAM_NOTIFICATIONS_READ = event("team.notifications.read", _("Read team notifications"))
