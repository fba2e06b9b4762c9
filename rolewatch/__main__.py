from rolewatch.cli import main

main()
