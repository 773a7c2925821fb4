#!/usr/bin/env python3
"""Write the recorded alert streams in sample_logs/ (deterministic: same bytes every run).

    python scripts/make_sample_logs.py [OUT_DIR]

Each file is one real format as a SIEM exports it, in October 2026 (UTC): true-positive chains
that exercise every playbook, with benign noise around them (scanners, admins doing their job,
an authorised penetration test) and a few alerts delivered twice.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 10, 1, tzinfo=UTC)

HOSTS = ["web-01", "web-02", "api-01", "api-02", "db-01", "bastion-01", "ci-runner-03", "vpn-gw-01"]
LAPTOPS = ["lt-alice", "lt-bob", "lt-carol", "lt-dave", "lt-erin", "lt-frank", "lt-grace"]
USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "svc-deploy", "svc-backup"]
ATTACKERS = ["203.0.113.45", "203.0.113.77", "198.51.100.23", "198.51.100.199", "192.0.2.66"]
SCANNER = "198.51.100.10"  # the weekly external vulnerability scan
PENTEST = "203.0.113.200"  # the authorised penetration test, ticket SEC-1042


class Gen:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - sample data, not security

    def when(self, day: int | None = None) -> datetime:
        day = self.rng.randint(0, 29) if day is None else day
        return START + timedelta(days=day, seconds=self.rng.randint(0, 86_399), microseconds=0)

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def internal_ip(self) -> str:
        return f"10.20.{self.rng.randint(1, 9)}.{self.rng.randint(10, 250)}"

    def pick(self, items: list[Any]) -> Any:
        return self.rng.choice(items)


def iso(t: datetime, *, ms: bool = True) -> str:
    return t.isoformat(timespec="milliseconds" if ms else "seconds").replace("+00:00", "Z")


def threat(tactic_id: str, tactic: str, tech_id: str, tech: str, sub: str | None = None) -> dict[str, Any]:
    technique: dict[str, Any] = {
        "id": tech_id,
        "name": tech,
        "reference": f"https://attack.mitre.org/techniques/{tech_id}/",
    }
    if sub:
        technique["subtechnique"] = [{"id": sub, "name": sub, "reference": ""}]
    return {
        "framework": "MITRE ATT&CK",
        "tactic": {"id": tactic_id, "name": tactic, "reference": ""},
        "technique": [technique],
    }


# -- Elastic Security detection alerts (search hits, dotted kibana.alert.* keys + nested ECS) ----

ELASTIC_RULES: list[tuple[str, str, int, list[str], dict[str, Any], str]] = [
    # name, severity, risk, tags, threat, kind of host
    (
        "Potential SSH Brute Force Detected",
        "medium",
        47,
        ["Domain: Endpoint", "Tactic: Credential Access"],
        threat("TA0006", "Credential Access", "T1110", "Brute Force", "T1110.001"),
        "server",
    ),
    (
        "Ransomware - Detected - Elastic Defend",
        "critical",
        99,
        ["Data Source: Elastic Defend"],
        threat("TA0040", "Impact", "T1486", "Data Encrypted for Impact"),
        "laptop",
    ),
    (
        "Suspicious PowerShell Encoded Command",
        "high",
        73,
        ["OS: Windows", "Tactic: Execution"],
        threat("TA0002", "Execution", "T1059", "Command and Scripting Interpreter", "T1059.001"),
        "laptop",
    ),
    (
        "Sudo Heap-Based Buffer Overflow Attempt (privilege escalation)",
        "high",
        73,
        ["OS: Linux"],
        threat("TA0004", "Privilege Escalation", "T1068", "Exploitation for Privilege Escalation"),
        "server",
    ),
    (
        "Potential Data Exfiltration Activity to an Unusual Destination Port",
        "medium",
        47,
        ["Use Case: Threat Detection"],
        threat("TA0010", "Exfiltration", "T1041", "Exfiltration Over C2 Channel"),
        "server",
    ),
    (
        "Unusual Process Network Connection",
        "low",
        21,
        ["Use Case: Threat Detection"],
        threat("TA0005", "Defense Evasion", "T1218", "System Binary Proxy Execution"),
        "laptop",
    ),
]


def elastic_alerts(g: Gen) -> list[dict[str, Any]]:
    out = []
    for n in range(90):
        name, sev, risk, tags, thr, kind = ELASTIC_RULES[n % len(ELASTIC_RULES)]
        t = g.when()
        host = g.pick(HOSTS if kind == "server" else LAPTOPS)
        user = g.pick(USERS)
        noise = n % 5 == 0
        src = SCANNER if noise and "Brute" in name else g.pick(ATTACKERS)
        alert_id = g.uuid()
        source: dict[str, Any] = {
            "@timestamp": iso(t),
            "kibana.alert.uuid": alert_id,
            "kibana.alert.rule.name": name,
            "kibana.alert.rule.rule_id": f"{zlib.crc32(name.encode()) % 10**8:08d}-elastic-prebuilt",
            "kibana.alert.rule.uuid": g.uuid(),
            "kibana.alert.rule.category": "Custom Query Rule",
            "kibana.alert.severity": sev,
            "kibana.alert.risk_score": risk,
            "kibana.alert.workflow_status": "open",
            "kibana.alert.status": "active",
            "kibana.alert.reason": f"process event on {host} created {sev} alert {name}.",
            "kibana.alert.rule.tags": tags,
            "kibana.alert.rule.threat": [thr],
            "kibana.alert.original_time": iso(t - timedelta(seconds=g.rng.randint(1, 90))),
            "kibana.space_ids": ["default"],
            "host": {
                "name": host,
                "hostname": host,
                "os": {"family": "linux" if kind == "server" else "windows"},
            },
            "user": {"name": user},
            "event": {
                "kind": "signal",
                "category": ["process"],
                "module": "endpoint",
                "dataset": "endpoint.alerts",
            },
            "agent": {"type": "endpoint", "version": "9.5.4"},
        }
        if "Brute" in name or "Exfiltration" in name or "Network" in name:
            source["source"] = {"ip": src, "port": g.rng.randint(1024, 65535)}
            source["destination"] = {"ip": g.internal_ip(), "port": 22 if "Brute" in name else 8443}
        if "PowerShell" in name:
            source["process"] = {
                "name": "powershell.exe",
                "command_line": "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBj",
                "parent": {"name": "WINWORD.EXE"},
            }
        out.append(
            {"_index": ".internal.alerts-security.alerts-default-000001", "_id": alert_id, "_source": source}
        )
    out.sort(key=lambda h: h["_source"]["@timestamp"])
    out.insert(40, out[12])  # delivered twice by an overlapping export
    return out


# -- Elastic SIEM legacy signals (a JSON array of signal.* documents) -----------------------------

LEGACY_RULES = [
    (
        "Multiple Failed Logon Attempts Followed by Success",
        "high",
        73,
        threat("TA0006", "Credential Access", "T1110", "Brute Force", "T1110.003"),
    ),
    (
        "Attempt to Disable MFA on Root Account",
        "critical",
        91,
        threat("TA0003", "Persistence", "T1098", "Account Manipulation", "T1098.001"),
    ),
    (
        "User Added to Domain Admins Group",
        "high",
        73,
        threat("TA0004", "Privilege Escalation", "T1098", "Account Manipulation", "T1098.007"),
    ),
    (
        "Trojan Dropper Detected in Downloads Folder",
        "high",
        73,
        threat("TA0002", "Execution", "T1204", "User Execution", "T1204.002"),
    ),
    (
        "Windows Defender Exclusion Added",
        "low",
        21,
        threat("TA0005", "Defense Evasion", "T1562", "Impair Defenses", "T1562.001"),
    ),
]


def legacy_signals(g: Gen) -> list[dict[str, Any]]:
    out = []
    for n in range(45):
        name, sev, risk, thr = LEGACY_RULES[n % len(LEGACY_RULES)]
        t = g.when(day=g.rng.randint(0, 13))
        out.append(
            {
                "@timestamp": iso(t),
                "signal": {
                    "status": "open",
                    "original_time": iso(t - timedelta(seconds=30)),
                    "rule": {
                        "id": g.uuid(),
                        "rule_id": f"legacy-{n % len(LEGACY_RULES)}",
                        "name": name,
                        "severity": sev,
                        "risk_score": risk,
                        "threat": [thr],
                        "tags": ["Elastic", "SIEM", "legacy"],
                    },
                },
                "host": {"name": g.pick(LAPTOPS + HOSTS)},
                "user": {"name": g.pick(USERS)},
                "source": {"ip": g.pick([*ATTACKERS, PENTEST])},
                "event": {
                    "id": f"sig-{g.uuid()[:8]}",
                    "action": "logon-failed" if "Logon" in name else "alert",
                },
            }
        )
    return out


# -- Wazuh alerts.json (NDJSON) --------------------------------------------------------------------


def wazuh_ts(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}+0000"


def wazuh_alerts(g: Gen) -> list[dict[str, Any]]:
    kinds: list[tuple[str, int, str, list[str], dict[str, list[str]], Callable[[], dict[str, Any]]]] = [
        (
            "sshd: brute force trying to get access to the system. Authentication failed.",
            10,
            "5763",
            ["syslog", "sshd", "authentication_failures", "pci_dss_11.4"],
            {"id": ["T1110"], "tactic": ["Credential Access"], "technique": ["Brute Force"]},
            lambda: {
                "srcip": g.pick(ATTACKERS),
                "dstuser": "root",
                "srcport": str(g.rng.randint(30000, 65000)),
            },
        ),
        (
            "sshd: Attempt to login using a non-existent user",
            5,
            "5710",
            ["syslog", "sshd", "authentication_failed", "invalid_login"],
            {"id": ["T1110.001"], "tactic": ["Credential Access"], "technique": ["Password Guessing"]},
            lambda: {"srcip": g.pick([SCANNER, PENTEST]), "srcuser": g.pick(["admin", "test", "oracle"])},
        ),
        (
            "Successful sudo to ROOT executed.",
            3,
            "5402",
            ["syslog", "sudo"],
            {
                "id": ["T1548.003"],
                "tactic": ["Privilege Escalation", "Defense Evasion"],
                "technique": ["Sudo and Sudo Caching"],
            },
            lambda: {
                "srcuser": g.pick(["svc-deploy", "bob"]),
                "dstuser": "root",
                "command": "/usr/bin/systemctl restart nginx",
            },
        ),
        (
            "First time user executed sudo (privilege escalation).",
            12,
            "5403",
            ["syslog", "sudo", "privilege_escalation"],
            {"id": ["T1548.003"], "tactic": ["Privilege Escalation"], "technique": ["Sudo and Sudo Caching"]},
            lambda: {"srcuser": "www-data", "dstuser": "root", "command": "/bin/bash -i"},
        ),
        (
            "Integrity checksum changed.",
            7,
            "550",
            ["ossec", "syscheck", "syscheck_entry_modified"],
            {"id": ["T1565.001"], "tactic": ["Impact"], "technique": ["Stored Data Manipulation"]},
            lambda: {},
        ),
        (
            "AWS IAM: CreateAccessKey for a user by another identity (iam access key created)",
            12,
            "80253",
            ["amazon", "aws", "aws_iam", "cloud", "iam"],
            {"id": ["T1098.001"], "tactic": ["Persistence"], "technique": ["Additional Cloud Credentials"]},
            lambda: {
                "aws": {
                    "eventName": "CreateAccessKey",
                    "eventSource": "iam.amazonaws.com",
                    "sourceIPAddress": g.pick(ATTACKERS),
                    "userIdentity": {"userName": g.pick(USERS)},
                    "awsRegion": "eu-west-1",
                    "source": "cloudtrail",
                }
            },
        ),
        (
            "Host-based anomaly detection event (rootcheck).",
            7,
            "510",
            ["ossec", "rootcheck"],
            {"id": ["T1014"], "tactic": ["Defense Evasion"], "technique": ["Rootkit"]},
            lambda: {"title": "Trojaned version of file detected.", "file": "/usr/bin/ps"},
        ),
    ]
    out = []
    for n in range(110):
        desc, level, rule_id, groups, mitre, data = kinds[n % len(kinds)]
        t = g.when()
        host = g.pick(HOSTS)
        rule = {
            "level": level,
            "description": desc,
            "id": rule_id,
            "firedtimes": g.rng.randint(1, 40),
            "mail": level >= 12,
            "groups": groups,
        }
        if mitre:
            rule["mitre"] = mitre
        doc: dict[str, Any] = {
            "timestamp": wazuh_ts(t),
            "rule": rule,
            "agent": {
                "id": f"{HOSTS.index(host) + 1:03d}",
                "name": host,
                "ip": f"10.20.1.{HOSTS.index(host) + 10}",
            },
            "manager": {"name": "wazuh-manager-01"},
            "id": f"{int(t.timestamp())}.{g.rng.randint(100000, 999999)}",
            "decoder": {"name": "sshd" if "sshd" in groups else groups[1]},
            "data": data(),
            "location": "/var/log/auth.log" if "syslog" in groups else "syscheck",
            "full_log": f"{t.strftime('%b %d %H:%M:%S')} {host} {desc}",
        }
        if rule_id == "550":
            doc["syscheck"] = {
                "path": "/etc/nginx/nginx.conf",
                "event": "modified",
                "md5_after": g.uuid().replace("-", ""),
            }
        out.append(doc)
    out.sort(key=lambda d: d["timestamp"])
    out.insert(70, out[5])  # the same alert shipped twice after an agent reconnect
    return out


# -- Suricata EVE (NDJSON, alert events) ----------------------------------------------------------

SIGNATURES = [
    (
        2024897,
        "ET MALWARE Cobalt Strike Beacon Observed",
        "A Network Trojan was detected",
        1,
        {
            "mitre_technique_id": ["T1071"],
            "mitre_tactic_name": ["Command_And_Control"],
            "signature_severity": ["Critical"],
        },
    ),
    (
        2001219,
        "ET SCAN Potential SSH Scan",
        "Attempted Information Leak",
        2,
        {
            "mitre_technique_id": ["T1046"],
            "mitre_tactic_name": ["Discovery"],
            "signature_severity": ["Minor"],
        },
    ),
    (
        2034647,
        "ET EXPLOIT Apache log4j RCE Attempt (CVE-2021-44228)",
        "Attempted Administrator Privilege Gain",
        1,
        {
            "mitre_technique_id": ["T1190"],
            "mitre_tactic_name": ["Initial_Access"],
            "signature_severity": ["Major"],
        },
    ),
    (
        2027863,
        "ET INFO Observed DNS Query to .cloud TLD",
        "Potentially Bad Traffic",
        3,
        {"signature_severity": ["Informational"]},
    ),
    (
        2018359,
        "ET POLICY Possible DNS Tunnel exfiltration - Long Subdomain",
        "Potential Corporate Privacy Violation",
        2,
        {
            "mitre_technique_id": ["T1048"],
            "mitre_tactic_name": ["Exfiltration"],
            "signature_severity": ["Major"],
        },
    ),
]


def suricata_eve(g: Gen) -> list[dict[str, Any]]:
    out = []
    for n in range(80):
        sid, sig, cat, prio, meta = SIGNATURES[n % len(SIGNATURES)]
        t = g.when()
        outbound = sid in (2024897, 2027863, 2018359)
        inside, outside = g.internal_ip(), g.pick([*ATTACKERS, SCANNER])
        src, dst = (inside, outside) if outbound else (outside, inside)
        doc: dict[str, Any] = {
            "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000",
            "flow_id": g.rng.getrandbits(50),
            "in_iface": "ens5",
            "event_type": "alert",
            "src_ip": src,
            "src_port": g.rng.randint(1024, 65535),
            "dest_ip": dst,
            "dest_port": {2024897: 443, 2001219: 22, 2034647: 8080, 2027863: 53, 2018359: 53}[sid],
            "proto": "UDP" if sid in (2027863, 2018359) else "TCP",
            "host": "ids-sensor-01",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": sid,
                "rev": 3,
                "signature": sig,
                "category": cat,
                "severity": prio,
                "metadata": {**meta, "tag": ["ids"]},
            },
            "app_proto": "dns" if sid in (2027863, 2018359) else "tls" if sid == 2024897 else "http",
        }
        out.append(doc)
    out.sort(key=lambda d: d["timestamp"])
    return out


# -- OpenSearch: alerting alerts and Security Analytics findings (search hits) --------------------


def opensearch_findings(g: Gen) -> list[dict[str, Any]]:
    out = []
    for n in range(30):
        t = g.when()
        if n % 2:
            monitor = g.pick(["Unusual outbound volume per host", "Root account console login"])
            alert = {
                "id": g.uuid()[:20],
                "monitor_id": "mon-" + g.uuid()[:8],
                "monitor_name": monitor,
                "trigger_id": "trg-" + g.uuid()[:8],
                "trigger_name": "bytes_out > 5GB in 10m"
                if "outbound" in monitor
                else "any console login as root",
                "severity": g.pick(["1", "2", "3"]),
                "state": "ACTIVE",
                "start_time": int(t.timestamp() * 1000),
                "last_notification_time": int(t.timestamp() * 1000) + 60_000,
                "action_execution_results": [],
            }
            out.append({"_index": ".opendistro-alerting-alerts", "_id": alert["id"], "_source": alert})
        else:
            rule = g.pick(
                [
                    (
                        "Suspicious Linux sudo privilege escalation",
                        ["high", "attack.privilege_escalation", "attack.t1548.003"],
                    ),
                    (
                        "Possible C2 beacon over DNS",
                        ["medium", "attack.command_and_control", "attack.t1071.004"],
                    ),
                    (
                        "Large upload to personal cloud storage",
                        ["high", "attack.exfiltration", "attack.t1567.002"],
                    ),
                ]
            )
            finding = {
                "id": g.uuid(),
                "related_doc_ids": [g.uuid()[:12]],
                "monitor_id": "det-" + g.uuid()[:8],
                "detector_type": g.pick(["linux", "dns", "network"]),
                "index": "logs-linux-2026.10",
                "queries": [{"id": "sigma-" + g.uuid()[:8], "name": rule[0], "query": "", "tags": rule[1]}],
                "timestamp": int(t.timestamp() * 1000),
            }
            out.append(
                {"_index": ".opensearch-sap-linux-findings-000001", "_id": finding["id"], "_source": finding}
            )
    return out


# -- generic ECS (NDJSON): phishing reports, cloud IAM, exfiltration, noise -----------------------


def ecs_alerts(g: Gen) -> list[dict[str, Any]]:
    out = []
    for n in range(100):
        t = g.when()
        user = g.pick(USERS[:7])
        base: dict[str, Any] = {
            "@timestamp": iso(t),
            "event": {"kind": "alert", "id": f"ecs-{n:04d}"},
            "ecs": {"version": "8.11.0"},
            "observer": {"vendor": "SaaSCo", "product": "detections"},
        }
        k = n % 6
        if k == 0:
            base.update(
                rule={"name": "User-reported phishing email", "id": "mail-001"},
                email={
                    "from": {
                        "address": g.pick(
                            [
                                "billing@invoices-paypa1.example",
                                "it-support@micros0ft.example",
                                "newsletter@vendor.example",
                            ]
                        )
                    },
                    "subject": g.pick(
                        ["Action required: invoice overdue", "Password expires today", "October newsletter"]
                    ),
                    "to": {"address": f"{user}@saasco.example"},
                    "attachments": [{"file": {"name": "invoice.html"}}],
                },
                user={"name": user},
                tags=["phishing", "email"],
                threat={"technique": {"id": ["T1566.001"]}},
            )
            base["event"].update(severity=g.pick([47, 21]), category=["email"])
        elif k in (1, 2):
            action = g.pick(["CreateAccessKey", "AttachUserPolicy", "DeactivateMFADevice", "ListBuckets"])
            base.update(
                rule={"name": f"AWS IAM {action} by unusual identity", "id": f"cloud-{action}"},
                cloud={"provider": "aws", "account": {"id": "123456789012"}, "region": "eu-west-1"},
                user={"name": g.pick(["svc-deploy", "dave", "terraform"])},
                source={"ip": g.pick([*ATTACKERS, "10.20.3.15"])},
                tags=["cloud", "aws"],
            )
            base["event"].update(
                action=action, severity=73 if action != "ListBuckets" else 21, category=["iam"]
            )
        elif k == 3:
            base.update(
                rule={
                    "name": "Unusual outbound data transfer to S3 bucket outside the organisation",
                    "id": "dlp-07",
                },
                host={"name": g.pick(HOSTS)},
                user={"name": g.pick(["svc-backup", user])},
                destination={"ip": "52.95.150.10", "bytes": g.rng.randint(10, 900) * 2**20},
                tags=["exfiltration"],
                threat={"technique": {"id": ["T1537"]}},
            )
            base["event"].update(severity=g.pick([73, 47]))
        elif k == 4:
            base.update(
                rule={"name": "Impossible travel sign-in", "id": "idp-03"},
                user={"name": user},
                source={"ip": g.pick(ATTACKERS), "geo": {"country_iso_code": g.pick(["BR", "VN", "DE"])}},
                tags=["identity"],
            )
            base["event"].update(severity=47)
        else:
            base.update(
                rule={"name": "TLS certificate expiring within 14 days", "id": "ops-12"},
                host={"name": g.pick(HOSTS)},
                tags=["hygiene"],
            )
            base["event"].update(severity=g.pick(["low", "informational"]))
        out.append(base)
    out.sort(key=lambda d: d["@timestamp"])
    return out


def dump_lines(docs: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(d, separators=(",", ":"), ensure_ascii=False) + "\n" for d in docs)


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else ROOT / "sample_logs"
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "elastic-security-alerts.ndjson": dump_lines(elastic_alerts(Gen(1))),
        "elastic-legacy-signals.json": json.dumps(legacy_signals(Gen(2)), indent=2, ensure_ascii=False)
        + "\n",
        "wazuh-alerts.json": dump_lines(wazuh_alerts(Gen(3))),
        "suricata-eve.json": dump_lines(suricata_eve(Gen(4))),
        "opensearch-findings.ndjson": dump_lines(opensearch_findings(Gen(5))),
        "ecs-generic.ndjson": dump_lines(ecs_alerts(Gen(6))),
    }
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
        print(f"wrote {out_dir.name}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
