from ikzops.cli import main

main()
