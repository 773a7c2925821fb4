"""`python -m triage`: the same command line as the installed `triage`."""

from triage.cli.main import main

main()
