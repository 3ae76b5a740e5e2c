from logicdistill.cli.app import main

main()
