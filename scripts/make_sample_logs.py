#!/usr/bin/env python3
"""Write the recorded alert streams in triage/data/sample_logs/ (deterministic: same bytes every run).

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
# Package data: shipped in the wheel and found through importlib.resources (triage.config.bundled).
SAMPLE_LOGS = ROOT / "triage" / "data" / "sample_logs"
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


# -- tabletop scenarios (triage/data/sample_logs/scenarios/<name>/) --------------------------------
#
# Each scenario is a recorded stream in several real formats, one file per format, and a
# scenario.yaml with what the exercise expects. The true positives form one attack; the noise
# around them is what a real queue holds on the same day.


def q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is valid YAML)."""
    return json.dumps(text, ensure_ascii=False)


class Stream:
    """One scenario's alerts, in each format's own shape, at offsets from its start."""

    def __init__(self, seed: int, start: datetime, prefix: str) -> None:
        self.g = Gen(seed)
        self.start = start
        self.prefix = prefix
        self.files: dict[str, list[tuple[datetime, dict[str, Any]]]] = {}
        self.n = 0

    def at(self, minutes: float) -> datetime:
        jitter = self.g.rng.randint(0, 2_999)
        return self.start + timedelta(seconds=round(minutes * 60), milliseconds=jitter)

    def add(self, file: str, t: datetime, doc: dict[str, Any]) -> None:
        self.files.setdefault(file, []).append((t, doc))

    def next_id(self) -> str:
        self.n += 1
        return f"{self.prefix}-{self.n:04d}"

    def ecs(self, minutes: float, rule: str, rule_id: str, severity: int, **fields: Any) -> str:
        t = self.at(minutes)
        event_id = self.next_id()
        doc: dict[str, Any] = {
            "@timestamp": iso(t),
            "event": {"kind": "alert", "id": event_id, "severity": severity},
            "ecs": {"version": "8.11.0"},
            "observer": {"vendor": "SaaSCo", "product": "detections"},
            "rule": {"name": rule, "id": rule_id},
        }
        for key, value in fields.items():
            if key == "event":
                doc["event"].update(value)
            else:
                doc[key] = value
        self.add("alerts-ecs.ndjson", t, doc)
        return event_id

    def elastic(
        self,
        minutes: float,
        rule: tuple[str, str, int, list[str], dict[str, Any]],
        host: str,
        user: str,
        **fields: Any,
    ) -> str:
        name, sev, risk, tags, thr = rule
        t = self.at(minutes)
        alert_id = self.g.uuid()
        source: dict[str, Any] = {
            "@timestamp": iso(t),
            "kibana.alert.uuid": alert_id,
            "kibana.alert.rule.name": name,
            "kibana.alert.rule.rule_id": f"{zlib.crc32(name.encode()) % 10**8:08d}-elastic-prebuilt",
            "kibana.alert.rule.uuid": self.g.uuid(),
            "kibana.alert.rule.category": "Custom Query Rule",
            "kibana.alert.severity": sev,
            "kibana.alert.risk_score": risk,
            "kibana.alert.workflow_status": "open",
            "kibana.alert.status": "active",
            "kibana.alert.reason": f"process event on {host} created {sev} alert {name}.",
            "kibana.alert.rule.tags": tags,
            "kibana.alert.rule.threat": [thr],
            "kibana.alert.original_time": iso(t - timedelta(seconds=self.g.rng.randint(1, 90))),
            "kibana.space_ids": ["default"],
            "host": {"name": host, "hostname": host, "os": {"family": "windows"}},
            "user": {"name": user},
            "event": {
                "kind": "signal",
                "category": ["process"],
                "module": "endpoint",
                "dataset": "endpoint.alerts",
            },
            "agent": {"type": "endpoint", "version": "9.5.4"},
            **fields,
        }
        hit = {
            "_index": ".internal.alerts-security.alerts-default-000001",
            "_id": alert_id,
            "_source": source,
        }
        self.add("alerts-elastic.ndjson", t, hit)
        return alert_id

    def wazuh(
        self,
        minutes: float,
        desc: str,
        level: int,
        rule_id: str,
        groups: list[str],
        mitre: dict[str, list[str]] | None,
        host: str,
        data: dict[str, Any],
    ) -> str:
        t = self.at(minutes)
        rule: dict[str, Any] = {
            "level": level,
            "description": desc,
            "id": rule_id,
            "firedtimes": self.g.rng.randint(1, 12),
            "mail": level >= 12,
            "groups": groups,
        }
        if mitre:
            rule["mitre"] = mitre
        doc_id = f"{int(t.timestamp())}.{self.g.rng.randint(100000, 999999)}"
        agents = [*HOSTS, "fs-01", "dc-01"]
        doc = {
            "timestamp": wazuh_ts(t),
            "rule": rule,
            "agent": {
                "id": f"{agents.index(host) + 1:03d}",
                "name": host,
                "ip": f"10.20.1.{agents.index(host) + 10}",
            },
            "manager": {"name": "wazuh-manager-01"},
            "id": doc_id,
            "decoder": {"name": groups[1]},
            "data": data,
            "location": "/var/log/auth.log" if "syslog" in groups else groups[0],
            "full_log": f"{t.strftime('%b %d %H:%M:%S')} {host} {desc}",
        }
        self.add("alerts-wazuh.json", t, doc)
        return doc_id

    def suricata(
        self, minutes: float, sig: tuple[int, str, str, int, dict[str, Any]], src: str, dst: str, dport: int
    ) -> None:
        sid, signature, cat, prio, meta = sig
        t = self.at(minutes)
        udp = dport == 53
        doc = {
            "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+0000",
            "flow_id": self.g.rng.getrandbits(50),
            "in_iface": "ens5",
            "event_type": "alert",
            "src_ip": src,
            "src_port": self.g.rng.randint(1024, 65535),
            "dest_ip": dst,
            "dest_port": dport,
            "proto": "UDP" if udp else "TCP",
            "host": "ids-sensor-01",
            "alert": {
                "action": "allowed",
                "gid": 1,
                "signature_id": sid,
                "rev": 3,
                "signature": signature,
                "category": cat,
                "severity": prio,
                "metadata": {**meta, "tag": ["ids"]},
            },
            "app_proto": "dns" if udp else "tls",
        }
        self.add("alerts-suricata.json", t, doc)

    def finding(self, minutes: float, rule: str, tags: list[str], detector: str) -> str:
        t = self.at(minutes)
        finding_id = self.g.uuid()
        doc = {
            "id": finding_id,
            "related_doc_ids": [self.g.uuid()[:12]],
            "monitor_id": "det-" + self.g.uuid()[:8],
            "detector_type": detector,
            "index": "logs-proxy-2026.11",
            "queries": [{"id": "sigma-" + self.g.uuid()[:8], "name": rule, "query": "", "tags": tags}],
            "timestamp": int(t.timestamp() * 1000),
        }
        hit = {"_index": ".opensearch-sap-network-findings-000001", "_id": finding_id, "_source": doc}
        self.add("alerts-opensearch.ndjson", t, hit)
        return finding_id

    def write(self, yaml_text: str) -> dict[str, str]:
        out = {"scenario.yaml": yaml_text}
        for name, docs in sorted(self.files.items()):
            docs.sort(key=lambda pair: pair[0])
            out[name] = dump_lines([d for _, d in docs])
        return out

    def alert_files(self) -> str:
        return "".join(f"  - {name}\n" for name in sorted(self.files))

    def count(self) -> int:
        return sum(len(v) for v in self.files.values())


def yaml_list(items: list[str], indent: int = 2) -> str:
    return "".join(f"{' ' * indent}- {q(i)}\n" for i in items)


RANSOM_RULES = {
    "powershell": (
        "Suspicious PowerShell Encoded Command",
        "high",
        73,
        ["OS: Windows", "Tactic: Execution"],
        threat("TA0002", "Execution", "T1059", "Command and Scripting Interpreter", "T1059.001"),
    ),
    "netconn": (
        "Unusual Process Network Connection",
        "low",
        21,
        ["Use Case: Threat Detection"],
        threat("TA0005", "Defense Evasion", "T1218", "System Binary Proxy Execution"),
    ),
    "lsass": (
        "LSASS Memory Access by Unusual Process",
        "high",
        73,
        ["OS: Windows", "Tactic: Credential Access"],
        threat("TA0006", "Credential Access", "T1003", "OS Credential Dumping", "T1003.001"),
    ),
    "smb": (
        "Lateral Movement via SMB Admin Share",
        "high",
        73,
        ["OS: Windows", "Tactic: Lateral Movement"],
        threat("TA0008", "Lateral Movement", "T1021", "Remote Services", "T1021.002"),
    ),
    "vss": (
        "Volume Shadow Copy Deletion via vssadmin (ransomware precursor)",
        "critical",
        91,
        ["OS: Windows", "Tactic: Impact"],
        threat("TA0040", "Impact", "T1490", "Inhibit System Recovery"),
    ),
}
CS_BEACON = SIGNATURES[0]
SSH_SCAN = SIGNATURES[1]
DNS_CLOUD = SIGNATURES[3]
DNS_TUNNEL = SIGNATURES[4]


def routine_sudo(s: Any, g: Gen, n: int, *, within: int) -> None:
    """Admins' and deploy jobs' everyday sudo: benign noise in every scenario."""
    for _ in range(n):
        s.wazuh(
            g.rng.randint(0, within),
            "Successful sudo to ROOT executed.",
            3,
            "5402",
            ["syslog", "sudo"],
            {"id": ["T1548.003"], "tactic": ["Privilege Escalation"], "technique": ["Sudo and Sudo Caching"]},
            g.pick(HOSTS[:5]),
            {
                "srcuser": g.pick(["svc-deploy", "bob"]),
                "dstuser": "root",
                "command": "/usr/bin/systemctl restart nginx",
            },
        )


def expiring_certificates(s: Any, g: Gen, n: int, *, within: int) -> None:
    for _ in range(n):
        s.ecs(
            g.rng.randint(0, within),
            "TLS certificate expiring within 14 days",
            "ops-12",
            21,
            host={"name": g.pick(HOSTS)},
            tags=["hygiene"],
        )


def scenario_ransomware() -> dict[str, str]:
    s = Stream(11, datetime(2026, 11, 3, 8, 40, tzinfo=UTC), "rw")
    g = s.g
    lure = {
        "from": {"address": "billing@invoices-paypa1.example"},
        "subject": "Action required: invoice overdue",
        "attachments": [{"file": {"name": "invoice-8841.docm"}}],
    }
    first = s.ecs(
        0,
        "User-reported phishing email",
        "mail-001",
        47,
        email={**lure, "to": {"address": "carol@saasco.example"}},
        user={"name": "carol"},
        tags=["phishing", "email"],
        threat={"technique": {"id": ["T1566.001"]}},
    )
    s.ecs(
        6,
        "User-reported phishing email",
        "mail-001",
        47,
        email={**lure, "to": {"address": "dave@saasco.example"}},
        user={"name": "dave"},
        tags=["phishing", "email"],
        threat={"technique": {"id": ["T1566.001"]}},
    )
    ps = s.elastic(
        9,
        RANSOM_RULES["powershell"],
        "lt-carol",
        "carol",
        process={
            "name": "powershell.exe",
            "command_line": "powershell.exe -NoP -W Hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBj",
            "parent": {"name": "WINWORD.EXE"},
        },
    )
    s.elastic(
        10, RANSOM_RULES["netconn"], "lt-carol", "carol", destination={"ip": "203.0.113.77", "port": 443}
    )
    for k in range(6):
        s.suricata(12 + 5 * k, CS_BEACON, "10.20.5.31", "203.0.113.77", 443)
    s.elastic(35, RANSOM_RULES["lsass"], "lt-carol", "carol", process={"name": "rundll32.exe"})
    for minutes, host in ((48, "fs-01"), (52, "db-01")):
        s.wazuh(
            minutes,
            "Windows: Remote service created via PsExec (lateral movement)",
            12,
            "92652",
            ["windows", "windows_system", "lateral_movement"],
            {
                "id": ["T1569.002"],
                "tactic": ["Execution", "Lateral Movement"],
                "technique": ["Service Execution"],
            },
            host,
            {"win": {"eventdata": {"serviceName": "PSEXESVC", "subjectUserName": "carol"}}},
        )
    s.elastic(55, RANSOM_RULES["smb"], "fs-01", "carol", source={"ip": "10.20.5.31"})
    s.elastic(71, RANSOM_RULES["vss"], "fs-01", "carol", process={"name": "vssadmin.exe"})
    true_positives = s.count()
    # noise: the weekly scan, DNS to .cloud, admins' sudo, expiring certificates, a newsletter
    for k in range(12):
        s.suricata(3 + 8 * k + g.rng.randint(0, 5), SSH_SCAN, SCANNER, g.internal_ip(), 22)
    for _ in range(8):
        s.suricata(g.rng.randint(0, 100), DNS_CLOUD, g.internal_ip(), "10.20.0.2", 53)
    routine_sudo(s, g, 8, within=100)
    expiring_certificates(s, g, 5, within=100)
    for _ in range(4):
        who = g.pick(["erin", "frank", "grace", "bob"])
        s.ecs(
            g.rng.randint(20, 95),
            "User-reported phishing email",
            "mail-001",
            21,
            email={
                "from": {"address": "newsletter@vendor.example"},
                "subject": "November newsletter",
                "to": {"address": f"{who}@saasco.example"},
            },
            user={"name": who},
            tags=["phishing", "email"],
            threat={"technique": {"id": ["T1566.001"]}},
        )
    for _ in range(6):
        laptop = g.pick(["lt-bob", "lt-erin", "lt-grace"])
        s.elastic(
            g.rng.randint(0, 100),
            RANSOM_RULES["netconn"],
            laptop,
            laptop[3:],
            process={"name": "Teams.exe"},
            destination={"ip": "52.112.0.10", "port": 443},
        )
    yaml_text = f"""\
# A phishing lure leads to an encoded PowerShell stager, a Cobalt Strike beacon, credential
# theft and lateral movement to the file server, ending with shadow copies deleted: the steps
# before ransomware detonates. {true_positives} true positives, {s.count() - true_positives} noisy alerts.
id: ransomware-precursor
title: Ransomware precursor chain (phishing, execution, lateral movement)
description: >-
  Tuesday morning. A user reports an invoice email; minutes later her laptop runs an encoded
  PowerShell command started by Word. The team must recognise the chain early, contain the
  laptop and the file server, and escalate before anything is encrypted.
objectives:
  - Recognise the phishing report, the PowerShell stager and the beacon as one intrusion.
  - Escalate to an incident within 30 minutes of the stager alert.
  - Contain lt-carol and fs-01 per the malware playbook before shadow copies are deleted.
  - Close the scanner, certificate, sudo and newsletter noise quickly and correctly.
roles:
  - role: incident-commander
    description: Runs the exercise response, decides on escalation and containment.
  - role: analyst
    description: Triages the queue, works the playbooks, records findings.
  - role: communications
    description: Keeps management and legal informed; drafts the holding statement.
alerts:
{s.alert_files()}\
# Which disposition each alert should get. The first rule that matches an alert decides.
expected:
  - doc_id: {q(first)}
    disposition: true_positive
    why: The first report of the lure; the sender's domain imitates PayPal.
  - doc_id: {q(ps)}
    disposition: true_positive
    why: Word spawning hidden, encoded PowerShell is the stager.
  - rule_name: "User-reported phishing email"
    user: "dave"
    disposition: true_positive
    why: The same lure reached dave.
  - rule_name: "User-reported phishing email"
    disposition: [false_positive, benign_true_positive]
    why: The vendor newsletter is not phishing.
  - rule_name: "ET MALWARE Cobalt Strike*"
    disposition: true_positive
    why: Beacons from lt-carol (10.20.5.31) to the attacker every five minutes.
  - rule_name: "Unusual Process Network Connection"
    host: "lt-carol"
    disposition: true_positive
  - rule_name: "Unusual Process Network Connection"
    disposition: [false_positive, benign_true_positive]
    why: Teams talking to Microsoft.
  - rule_name: "LSASS Memory Access*"
    disposition: true_positive
  - rule_name: "*lateral movement*"
    disposition: true_positive
  - rule_name: "Volume Shadow Copy Deletion*"
    disposition: true_positive
  - src_ip: {q(SCANNER)}
    disposition: benign_true_positive
    why: The weekly external vulnerability scan.
default_disposition: [benign_true_positive, false_positive]
escalations:
  - name: Intrusion on lt-carol escalated to an incident
    match: {{rule_name: "Suspicious PowerShell Encoded Command", host: "lt-carol"}}
    within: 30m
  - name: Lateral movement to the file server escalated
    match: {{rule_name: "*lateral movement*", host: "fs-01"}}
    within: 20m
  - name: Shadow copy deletion escalated
    match: {{rule_name: "Volume Shadow Copy Deletion*"}}
    within: 15m
injects:
  - "T+0: Briefing. It is Tuesday 08:40. Normal load in the queue; the weekly scan runs this morning."
  - "T+15m: The service desk calls: carol says an invoice she opened 'did nothing' after she enabled editing."
  - "T+40m: Finance reports the share \\\\\\\\fs-01\\\\finance is very slow and some files will not open."
  - "T+60m: The CFO asks whether to pay the supplier invoice carol received. What do you tell her?"
  - "T+75m: Legal asks whether customer data was touched; draft a holding statement."
  - "T+1h50m: End of the exercise. Hot wash: what went well, what would you change?"
"""
    return s.write(yaml_text)


def scenario_cloud_key() -> dict[str, str]:
    s = Stream(12, datetime(2026, 11, 10, 14, 5, tzinfo=UTC), "ck")
    g = s.g
    attacker = "203.0.113.45"

    def iam(minutes: float, action: str, user: str, ip: str, severity: int, **extra: Any) -> str:
        return s.ecs(
            minutes,
            f"AWS IAM {action} by unusual identity",
            f"cloud-{action}",
            severity,
            cloud={"provider": "aws", "account": {"id": "123456789012"}, "region": "eu-west-1"},
            user={"name": user},
            source={"ip": ip},
            tags=["cloud", "aws"],
            event={"action": action, "category": ["iam"]},
            **extra,
        )

    exposed = s.ecs(
        0,
        "AWS access key exposed in public repository",
        "secret-scan-01",
        91,
        user={"name": "svc-deploy"},
        url={"full": "https://github.example/saasco/deploy-tools/commit/3f9c2e1"},
        tags=["cloud", "aws", "secret_scanning"],
        threat={"technique": {"id": ["T1552.001"]}},
    )
    iam(7, "ListBuckets", "svc-deploy", attacker, 47)
    iam(8, "GetCallerIdentity", "svc-deploy", attacker, 47)
    created = s.wazuh(
        9,
        "AWS IAM: CreateAccessKey for a user by another identity (iam access key created)",
        12,
        "80253",
        ["amazon", "aws", "aws_iam", "cloud", "iam"],
        {"id": ["T1098.001"], "tactic": ["Persistence"], "technique": ["Additional Cloud Credentials"]},
        "vpn-gw-01",
        {
            "aws": {
                "eventName": "CreateAccessKey",
                "eventSource": "iam.amazonaws.com",
                "sourceIPAddress": attacker,
                "userIdentity": {"userName": "svc-deploy"},
                "requestParameters": {"userName": "backup-admin"},
                "awsRegion": "eu-west-1",
                "source": "cloudtrail",
            }
        },
    )
    policy = iam(12, "AttachUserPolicy", "svc-deploy", attacker, 73)
    iam(15, "DeactivateMFADevice", "backup-admin", attacker, 73)
    for k in range(4):
        s.wazuh(
            22 + 4 * k,
            "AWS CloudTrail: RunInstances in a region the company does not use",
            12,
            "80290",
            ["amazon", "aws", "cloudtrail"],
            {"id": ["T1578.002"], "tactic": ["Defense Evasion"], "technique": ["Create Cloud Instance"]},
            "vpn-gw-01",
            {
                "aws": {
                    "eventName": "RunInstances",
                    "sourceIPAddress": "198.51.100.199",
                    "userIdentity": {"userName": "backup-admin"},
                    "awsRegion": "ap-southeast-2",
                    "source": "cloudtrail",
                }
            },
        )
    for k in range(3):
        s.ecs(
            35 + 6 * k,
            "Unusual outbound data transfer to S3 bucket outside the organisation",
            "dlp-07",
            73,
            user={"name": "backup-admin"},
            source={"ip": "198.51.100.199"},
            destination={"ip": "52.95.150.10", "bytes": g.rng.randint(200, 900) * 2**20},
            tags=["exfiltration"],
            threat={"technique": {"id": ["T1537"]}},
        )
    true_positives = s.count()
    for _ in range(6):
        iam(g.rng.randint(0, 80), "CreateAccessKey", "terraform", "10.20.3.15", 73)
    for _ in range(10):
        iam(g.rng.randint(0, 80), "ListBuckets", g.pick(["svc-backup", "terraform"]), "10.20.3.15", 21)
    for _ in range(4):
        s.ecs(
            g.rng.randint(0, 80),
            "Impossible travel sign-in",
            "idp-03",
            47,
            user={"name": "erin"},
            source={"ip": "192.0.2.66", "geo": {"country_iso_code": "DE"}},
            tags=["identity"],
        )
    for _ in range(10):
        s.wazuh(
            g.rng.randint(0, 80),
            "sshd: Attempt to login using a non-existent user",
            5,
            "5710",
            ["syslog", "sshd", "authentication_failed", "invalid_login"],
            {"id": ["T1110.001"], "tactic": ["Credential Access"], "technique": ["Password Guessing"]},
            g.pick(["bastion-01", "vpn-gw-01"]),
            {"srcip": SCANNER, "srcuser": g.pick(["admin", "test", "oracle"])},
        )
    expiring_certificates(s, g, 4, within=80)
    yaml_text = f"""\
# An AWS access key committed to a public repository is used within minutes: discovery, a new
# key for another user, administrator rights, MFA removed, instances in an unused region and
# data copied out. {true_positives} true positives among {s.count() - true_positives} noisy alerts.
id: leaked-cloud-key
title: Leaked cloud access key
description: >-
  Tuesday afternoon. Secret scanning reports that the svc-deploy access key was pushed to a
  public repository. The attacker is faster than the rotation process: the team must revoke
  every key the attacker made, not only the leaked one.
objectives:
  - Revoke the leaked key and every credential created with it, per the cloud IAM playbook.
  - Escalate to an incident within 15 minutes of the secret-scanning alert.
  - Tell the attacker's actions (203.0.113.45) from terraform's routine key rotation.
  - Decide when to involve the cloud provider and the privacy team.
roles:
  - role: incident-commander
    description: Owns the incident and the decision to rotate production credentials.
  - role: cloud-engineer
    description: Revokes keys, reviews CloudTrail, removes the rogue instances.
  - role: analyst
    description: Triages the queue and records findings.
alerts:
{s.alert_files()}\
expected:
  - doc_id: {q(exposed)}
    disposition: true_positive
    why: The key in the public commit is live.
  - doc_id: {q(created)}
    disposition: true_positive
    why: The attacker gave themselves a second way in (backup-admin's new key).
  - src_ip: {q(attacker)}
    disposition: true_positive
  - rule_name: "*RunInstances*"
    disposition: true_positive
    why: Crypto-mining instances in ap-southeast-2.
  - rule_name: "*S3 bucket outside*"
    user: backup-admin
    disposition: true_positive
  - user: terraform
    disposition: benign_true_positive
    why: The CI pipeline rotates its own keys from 10.20.3.15.
  - src_ip: "10.20.3.15"
    disposition: benign_true_positive
  - rule_name: "Impossible travel sign-in"
    disposition: [false_positive, benign_true_positive]
    why: erin is on the company VPN exit in Frankfurt.
  - src_ip: {q(SCANNER)}
    disposition: benign_true_positive
default_disposition: [benign_true_positive, false_positive]
escalations:
  - name: Leaked key escalated to an incident
    match: {{doc_id: {q(exposed)}}}
    within: 15m
  - name: Attacker's privilege change escalated
    match: {{doc_id: {q(policy)}}}
    within: 20m
injects:
  - "T+0: Briefing. GitHub secret scanning has emailed security@ about a commit in saasco/deploy-tools."
  - "T+5m: The developer who pushed the commit says the key 'was only for testing' and is gone now."
  - "T+25m: AWS Budgets alarm: EC2 spend in ap-southeast-2 is 40 times the daily average."
  - "T+45m: AWS Trust & Safety opens a case about outbound port scanning from your account."
  - "T+1h10m: A customer asks on the status page whether their data is safe. Who answers, and what?"
"""
    return s.write(yaml_text)


def scenario_insider() -> dict[str, str]:
    s = Stream(13, datetime(2026, 11, 17, 17, 30, tzinfo=UTC), "ix")
    g = s.g
    frank_ip = "10.20.6.44"
    exfil_rule = (
        "Potential Data Exfiltration Activity to an Unusual Destination Port",
        "medium",
        47,
        ["Use Case: Threat Detection"],
        threat("TA0010", "Exfiltration", "T1041", "Exfiltration Over C2 Channel"),
    )
    mass = s.ecs(
        0,
        "Mass file access on a file share by a single user",
        "dlp-02",
        47,
        user={"name": "frank"},
        host={"name": "fs-01"},
        file={"directory": "\\\\fs-01\\sales\\customers"},
        tags=["insider", "data_access"],
        threat={"technique": {"id": ["T1039"]}},
    )
    uploads = [
        s.finding(
            8 + 9 * k,
            "Large upload to personal cloud storage",
            ["high", "attack.exfiltration", "attack.t1567.002"],
            "network",
        )
        for k in range(4)
    ]
    s.ecs(
        14,
        "USB mass storage device mounted on a managed laptop",
        "edr-31",
        47,
        user={"name": "frank"},
        host={"name": "lt-frank"},
        device={"vendor": "SanDisk", "model": "Extreme Pro 1TB"},
        tags=["insider", "removable_media"],
        threat={"technique": {"id": ["T1052.001"]}},
    )
    for k in range(3):
        s.ecs(
            20 + 10 * k,
            "Unusual outbound data transfer to S3 bucket outside the organisation",
            "dlp-07",
            73,
            user={"name": "frank"},
            host={"name": "lt-frank"},
            destination={"ip": "52.95.150.10", "bytes": g.rng.randint(300, 900) * 2**20},
            tags=["exfiltration"],
            threat={"technique": {"id": ["T1537"]}},
        )
    for k in range(6):
        s.suricata(40 + 3 * k, DNS_TUNNEL, frank_ip, "198.51.100.23", 53)
    s.elastic(
        58,
        exfil_rule,
        "lt-frank",
        "frank",
        source={"ip": frank_ip},
        destination={"ip": "198.51.100.23", "port": 8443},
    )
    true_positives = s.count()
    for _ in range(10):
        s.ecs(
            g.rng.randint(0, 90),
            "Unusual outbound data transfer to S3 bucket outside the organisation",
            "dlp-07",
            47,
            user={"name": "svc-backup"},
            host={"name": "db-01"},
            destination={"ip": "52.95.150.10", "bytes": g.rng.randint(10, 300) * 2**20},
            tags=["exfiltration"],
            threat={"technique": {"id": ["T1537"]}},
        )
    agency = [
        s.finding(
            g.rng.randint(0, 90),
            "Large upload to personal cloud storage",
            ["high", "attack.exfiltration", "attack.t1567.002"],
            "network",
        )
        for k in range(3)
    ]
    for _ in range(9):
        s.suricata(g.rng.randint(0, 90), DNS_CLOUD, g.internal_ip(), "10.20.0.2", 53)
    routine_sudo(s, g, 7, within=90)
    expiring_certificates(s, g, 5, within=90)
    for _ in range(4):
        laptop = g.pick(["lt-bob", "lt-erin", "lt-grace"])
        s.elastic(
            g.rng.randint(0, 90),
            exfil_rule,
            laptop,
            laptop[3:],
            source={"ip": g.internal_ip()},
            destination={"ip": "52.112.0.10", "port": 3478},
        )
    uploads_yaml = "".join(
        f"  - doc_id: {q(u)}\n    disposition: true_positive\n"
        "    why: lt-frank uploading to a personal Dropbox.\n"
        for u in uploads
    )
    agency_yaml = "".join(
        f"  - doc_id: {q(a)}\n    disposition: benign_true_positive\n"
        "    why: Marketing sending video to the agency, approved in ticket MKT-311.\n"
        for a in agency
    )
    yaml_text = f"""\
# A salesperson who has resigned copies the customer list out: a mass read of the sales share,
# uploads to personal cloud storage, a USB drive, S3 and finally DNS tunnelling when the
# uploads are blocked. {true_positives} true positives among {s.count() - true_positives} noisy alerts.
id: insider-exfiltration
title: Insider data exfiltration
description: >-
  Tuesday evening, after hours. A departing employee (frank, last day Friday) moves the customer
  list out by every channel he can find. The team must connect the alerts to one person, act
  with HR and legal, and preserve evidence.
objectives:
  - Connect the file-share, upload, USB, S3 and DNS alerts to frank and escalate as one incident.
  - Follow the data exfiltration playbook, including containment, without tipping him off.
  - Preserve evidence for a possible legal case (notes on every action).
  - Close the backup, agency-upload and tooling noise correctly.
roles:
  - role: incident-commander
    description: Owns the incident and the calls with HR and legal.
  - role: analyst
    description: Triages the queue and works the playbooks.
  - role: hr-liaison
    description: Speaks for HR; knows frank's notice period and access.
alerts:
{s.alert_files()}\
expected:
  - doc_id: {q(mass)}
    disposition: true_positive
    why: frank read 14,000 files on the sales share in ten minutes.
{uploads_yaml}{agency_yaml}\
  - user: frank
    disposition: true_positive
  - host: lt-frank
    disposition: true_positive
  - src_ip: {q(frank_ip)}
    disposition: true_positive
    why: lt-frank's address; long subdomains to a domain registered last week.
  - user: svc-backup
    disposition: benign_true_positive
    why: The nightly backup to the offsite bucket.
default_disposition: [benign_true_positive, false_positive]
escalations:
  - name: Insider exfiltration escalated to an incident
    match: {{user: frank}}
    within: 30m
  - name: DNS tunnelling linked to the incident
    match: {{rule_name: "*DNS Tunnel*", src_ip: {q(frank_ip)}}}
    within: 30m
injects:
  - "T+0: Briefing. 17:30, most of the team has gone home; the on-call analyst and the IC are online."
  - "T+20m: HR confirms frank resigned last week and starts at a competitor on Monday."
  - "T+35m: frank's manager asks you to disable his accounts right now. Do you? What is the risk?"
  - "T+50m: Legal asks for a litigation hold: what evidence do you have, and is its chain of custody sound?"
  - "T+1h20m: End of the exercise. Hot wash."
"""
    return s.write(yaml_text)


SCENARIOS: dict[str, Callable[[], dict[str, str]]] = {
    "ransomware-precursor": scenario_ransomware,
    "leaked-cloud-key": scenario_cloud_key,
    "insider-exfiltration": scenario_insider,
}


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else SAMPLE_LOGS
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
    for scenario, make in SCENARIOS.items():
        folder = out_dir / "scenarios" / scenario
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in make().items():
            (folder / name).write_text(text, encoding="utf-8")
            print(f"wrote {out_dir.name}/scenarios/{scenario}/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
