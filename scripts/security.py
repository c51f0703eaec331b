"""`make security`'s scanners: bandit over the app's code and pip-audit over the installed dependencies.

Bandit findings are accepted only where the line already carries ruff's matching `# noqa: S<number> - reason`
(ruff's S rules are bandit's, renumbered B -> S), so each accepted finding is written down once, beside the
code, with its reason. pip-audit findings are accepted only when listed in ACCEPTED_VULNERABILITIES below,
with their reason. An audit that cannot reach its advisory data says so and does not fail.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".venv-security" / "bin"
SCANNED = ["app", "config.py", "wsgi.py"]

# Vulnerability id -> why it is accepted (none today). docs/security.md item 24 repeats this list.
ACCEPTED_VULNERABILITIES: dict[str, str] = {}


def run_bandit() -> bool:
    """Scan the app's code; True when every finding is accepted beside its line."""
    completed = subprocess.run(
        [str(TOOLS / "bandit"), "-r", *SCANNED, "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        print("bandit: could not read its report:", completed.stderr.strip() or completed.stdout[:500])
        return False
    unaccepted, accepted = [], 0
    for finding in report.get("results", []):
        path = ROOT / finding["filename"]
        line = path.read_text(encoding="utf-8").splitlines()[finding["line_number"] - 1]
        rule = "S" + finding["test_id"][1:]
        if re.search(rf"noqa:[^#]*\b{rule}\b.*-\s*\S", line):
            accepted += 1
            continue
        unaccepted.append(finding)
    for finding in unaccepted:
        print(
            f"bandit: {finding['filename']}:{finding['line_number']}: {finding['test_id']} "
            f"{finding['issue_text']} (severity {finding['issue_severity']})"
        )
    scanned = report.get("metrics", {}).get("_totals", {}).get("loc", 0)
    print(
        f"bandit: {scanned} lines scanned, {len(unaccepted)} finding(s) to fix, "
        f"{accepted} accepted beside their line with a reason."
    )
    return not unaccepted


def run_pip_audit() -> bool:
    """Audit the app's virtualenv; True unless a known vulnerability is found and not accepted."""
    site_packages = next((ROOT / ".venv" / "lib").glob("python3*/site-packages"), None)
    if site_packages is None:
        print("pip-audit: no .venv to audit (run `make setup` first).")
        return False
    command = [str(TOOLS / "pip-audit"), "--path", str(site_packages), "--progress-spinner", "off", "-f", "json"]
    for vulnerability in ACCEPTED_VULNERABILITIES:
        command += ["--ignore-vuln", vulnerability]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    try:
        report = json.loads(completed.stdout)
    except json.JSONDecodeError:
        message = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: could not reach its advisory data ({message}); nothing was audited. Not a failure.")
        return True
    dependencies = report.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = [d for d in dependencies if not d.get("skip_reason")]
    vulnerable = [d for d in audited if d.get("vulns")]
    if dependencies and not audited:
        print(
            f"pip-audit: could not reach its advisory data for any of the {len(dependencies)} installed packages "
            f"(for example: {skipped[0]['skip_reason']}); nothing was audited. Not a failure."
        )
        return True
    for dependency in vulnerable:
        for vulnerability in dependency["vulns"]:
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version yet"
            print(f"pip-audit: {dependency['name']} {dependency['version']}: {vulnerability['id']} (fixed in {fixed})")
    print(
        f"pip-audit: {len(audited)} package(s) audited, {len(skipped)} could not be, "
        f"{len(vulnerable)} with a known vulnerability, {len(ACCEPTED_VULNERABILITIES)} accepted."
    )
    return not vulnerable


def main() -> int:
    """Run both scanners; exit 1 if either found something not accepted."""
    results = [run_bandit(), run_pip_audit()]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
