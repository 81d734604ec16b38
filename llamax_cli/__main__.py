from llamax_cli.cli import main

main()
