"""Validates PDFs with page-validation (PyPI), for tests/tagged_pdf.rs.

    python validate_pdf.py FILE...

Prints one JSON object a line for each file and profile (PDF/UA-1 "ua1",
PDF/A-2a "2a"): the file, the profile, whether it conforms, how many rules
were checked and each failed rule as "RULE-ID: message". Exits 3 when the
`page` module (the validator) cannot be imported.
"""

import json
import sys

try:
    import page
except ImportError as e:
    print(f"cannot import page (pip install page-validation): {e}", file=sys.stderr)
    sys.exit(3)

PROFILES = ("ua1", "2a")

for path in sys.argv[1:]:
    for profile in PROFILES:
        report = page.validate_pdf(path, profile=profile)
        failed = sorted({f"{f.rule_id}: {f.message}" for f in report.failures})
        print(
            json.dumps(
                {
                    "file": path,
                    "profile": profile,
                    "version": page.__version__,
                    "compliant": report.is_compliant,
                    "rules": report.rules.total,
                    "failed": failed,
                }
            )
        )
