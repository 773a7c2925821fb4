from triage.cli.main import main

main()
