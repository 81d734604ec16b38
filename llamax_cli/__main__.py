from llamax_cli.cli.app import main

main()
