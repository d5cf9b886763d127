from roomlive.cli import main

main()
