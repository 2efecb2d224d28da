from bindlog.cli import main

raise SystemExit(main())
