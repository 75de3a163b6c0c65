import sys

from service_desk.cli import main

sys.exit(main())
