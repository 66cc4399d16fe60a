from ekkyo.cli import main

main()
