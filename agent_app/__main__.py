from agent_app.cli import main

raise SystemExit(main())
