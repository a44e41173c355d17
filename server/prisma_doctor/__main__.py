from prisma_doctor.cli import main

raise SystemExit(main())
