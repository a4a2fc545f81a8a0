from tfcli.cli.app import main

main()
