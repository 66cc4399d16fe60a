"""Team formation across schools (チーム編成): teams of about k students, max-min score.

What it is for: forming the mixed teams of a cross-school programme (越境ねっと
gathers students of many small towns), as CATME Team-Maker and gruepr do for a
class but across a whole network. :func:`form_teams` takes a :class:`Problem`
(students, a team size k, hard rules, staff weights) and returns a
:class:`Solution`; :func:`evaluate` scores a given (e.g. hand-edited) set of
teams the same way; :func:`main` is the ``ekkyo teams`` command.

What it must never do: import Django (the Django layer builds a
:class:`Problem` from its models and stores the :class:`Solution`), read or
write anything but the files given to :func:`main`, or use a random source
other than ``seed``. The heuristic is reproducible: the same input and seed
give the same teams whenever it stops on its own budget (inputs of up to 120
students stop after a fixed number of swap evaluations, well within the
default time limit); on large inputs the time limit stops it, where the
machine's speed lets it reach. The exact method is CP-SAT's multi-worker
search under a time limit and is not reproducible run to run.

Team sizes
    With n students and size k there are t teams, t = round(n / k) when that
    gives sizes within k ± 1, otherwise the nearest t that does (if none does,
    the t closest to it). Sizes are ⌊n/t⌋ or ⌈n/t⌉ and larger teams come first.
    A warning (:attr:`Solution.warnings`) says when k − 1 or k + 1 is used.

Hard rules (never traded against scores)
    * required pairs (``require``) are in the same team (they are merged into
      blocks placed together);
    * prevented pairs (``prevent``) and teammates of an earlier round
      (``previous_teams``, "new teammates for everyone") are in different teams;
    * one student per school and team wherever the numbers allow: a school with
      c students and t teams may have at most ⌈c / t⌉ students in a team, the
      minimum unavoidable sharing. Every team holding two or more students of a
      school is reported in :attr:`Solution.violations` (saying whether the
      sharing was unavoidable), as is every rule that could not be met (e.g. a
      required pair that is also prevented).

Team score, in [0, 100]
    The weighted average, by :class:`Weights`, of five components, each in
    [0, 1], for a team of m students (a component for which the input has no
    data at all — no student lists interests, or no gender is known — is left
    out, as if its weight were 0; if all weights are 0 every team scores 100):

    * ``regions``: distinct home regions, 0.5·(M − 1)/(m − 1) + 0.5·(P − 1)/(m − 1)
      where M and P are the numbers of distinct municipalities and prefectures
      in the team (1 when m = 1);
    * ``interests``: shared interests. A student's ranked themes weigh 1, 1/2,
      1/3, … (rank r weighs 1/r); the component is max over themes θ of
      (Σ over members of their weight for θ) / m — the share of the team that
      wants the team's best common theme, discounted by rank;
    * ``grades``: balance of grades. With p_g the share of grade g among all
      students, the ideal count of g in a team of m is between lo = ⌊m·p_g⌋ and
      hi = ⌈m·p_g⌉; the penalty is Σ_g (distance of the count of g from
      [lo, hi]) and the component is 1 − penalty / (2m) (the penalty is at most
      2m);
    * ``genders``: the same for genders (the unknown gender "" is a category
      here);
    * ``no_isolation``: nobody alone of their gender or grade. With I the
      number of grades that exactly one member has plus the number of known
      genders that exactly one member has, the component is 1 − I / (2m)
      (1 when m = 1).

Objective
    Maximise the worst team's score (max-min, as CATME); the local search
    improves the sorted vector of team scores lexicographically (leximin), so
    it also raises the other teams. The solution reports each team's score, the
    minimum, the harmonic mean (as gruepr) and an upper bound with the gap.

Methods
    * ``exact``: a CP-SAT model (OR-Tools) of the same score with integer
      coefficients (scaled by 10⁷ per point; the rounding error, at most a few
      thousandths of a point, is added to the bound) maximising the minimum,
      with the hard rules as constraints and equal-sized teams ordered by
      their smallest member (symmetry breaking). The heuristic runs first on
      30 % of the time limit; its teams are CP-SAT's hint and are kept when
      leximin-better. ``bound`` is the smallest of CP-SAT's best bound, the
      counting bound, the relaxation bound and the column bound (see
      "Bounds"); ``optimal`` is True when CP-SAT proves it or the column bound
      refutes min + 0.001. Time: heuristic 25 %, relaxation up to 10 % (2 s at
      most), CP-SAT until 65 %, the column bound the rest. CP-SAT alone proves
      optimality up to about 20 students; beyond about 25 its own bound stays
      near the counting bound.
    * ``heuristic``: greedy construction (blocks of required pairs first, then
      students dealt school by school round the teams, so a school's students
      land in different teams) then local search by swaps accepted when they
      do not add hard-rule breaches and improve the pair of affected scores
      lexicographically (so the minimum never drops). Up to 120 students:
      full-neighbourhood descents from the dealt start, then from random
      starts (one in four) or from the best teams with a few random swaps
      (iterated local search), until 40 descents in a row bring nothing or
      250,000 swap evaluations are spent. Larger inputs: the worst team against
      sampled partner teams, alternating with random pairs, until the time
      limit (each swap is scored in O(team size) from kept counts). Its
      ``bound`` is a counting bound on the *average* team score (which bounds
      the minimum): per component, the distinct regions can be at most
      Σ_g min(c_g, t) over all teams, the interest component at most the best
      split of the t teams among themes (each theme θ chosen by y_θ teams gains
      at most the y_θ·m_max largest weights for θ; the greedy split is optimal
      as the gains are concave), balance at most 1, and no-isolation loses 1
      for each grade or gender that only one student has. It is a true upper
      bound but loose (near 100) on large, varied inputs.
    * ``auto``: ``exact`` up to 60 students, otherwise ``heuristic``.

Bounds (``exact`` only; each a true upper bound on the best minimum)
    * relaxation (:meth:`_Index.relaxed_bound`): CP-SAT on an aggregated model
      that keeps only per-team counts: grade and gender counts per team summing
      to the cohort's counts (so pigeonhole effects on balance and isolation
      are exact), distinct municipalities/prefectures per team with
      Σ_t M_t ≤ Σ_g min(c_g, t), one chosen theme per team whose weight sum is
      at most that of the top m weights for it, and per theme the teams'
      weight sums at most those of distinct students each counted for one
      theme. Every real partition maps to a solution of it with the same team
      scores, so its max-min (CP-SAT's best bound, valid when time runs out)
      bounds the real one. It ignores who is who (interests vs grades).
    * column bound (:func:`_refutes`): a threshold z is refuted when the
      set-partitioning LP over all teams scoring ≥ z (and meeting the hard
      rules, when the solution meets them) cannot cover every student: with
      any duals π ≥ 0 (students), σ ≥ 0 (sizes), Σπ + Σ_m t_m·(σ_m + max(0,
      max over such teams T of size m of |T| − π(T) − σ_m)) is at least the
      LP's coverage (weak duality), so a value below n proves that no
      partition has every team ≥ z. Columns come from greedy swaps; the inner
      maximum is exact, by a branch-and-bound over teams (:class:`_Pricer`:
      students by dual value, pruned by the best gain the free places could
      add and by an optimistic score of the best completion, each component
      at a value no completion can beat), so the weak-duality argument holds;
      when time runs out the threshold is simply not refuted. 1.02·min is
      tried first, then min + 0.001 (a proof of optimality), then bisection
      between the highest threshold not refuted and the bound, each attempt
      with half the time left, columns carried from one threshold to the next.

Layout of the package (plain Python with OR-Tools; it never imports Django):
``model`` (the data and team sizes), ``index`` (the problem indexed for the
solvers), ``evaluation`` (scores, rule breaches), ``heuristic`` (swap
search), ``exact`` (CP-SAT and the proven bounds), ``solve`` (the entry,
:func:`form_teams`); file I/O (``io``: reading a problem from JSON data) and
the command line (``cli``) sit outside the algorithms.
"""

from __future__ import annotations

from .evaluation import evaluate, team_score
from .io import read_problem
from .model import EXACT_AUTO_LIMIT, Problem, ProblemError, Solution, Student, Weights, team_sizes
from .solve import form_teams, solution_to_json

__all__ = [
    "EXACT_AUTO_LIMIT",
    "Problem",
    "ProblemError",
    "Solution",
    "Student",
    "Weights",
    "evaluate",
    "form_teams",
    "main",
    "read_problem",
    "solution_to_json",
    "team_score",
    "team_sizes",
]


def main(*args: object, **kwargs: object) -> int:
    """The command line (``ekkyo.core.teams.cli.main``), imported only when run."""
    from .cli import main as run

    return run(*args, **kwargs)  # type: ignore[arg-type]
