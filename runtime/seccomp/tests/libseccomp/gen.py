#!/usr/bin/python3
"""Regenerate the libseccomp reference programs for tests/libseccomp_differential.rs.

Needs Debian's python3-seccomp (libseccomp's own Python binding; run with
/usr/bin/python3). For each native arch and capability set, docker's default
profile is resolved the way moby's setupSeccomp does (re-implemented here,
independently of the Rust code), handed to libseccomp exactly as runc hands
it over (same arches, actions, errno values, argument comparisons), and the
BPF libseccomp generates is written to <arch>-<caps>.bpf. Names that
libseccomp resolves to no real syscall number on an ABI (it is older than the
syscall, or multiplexes it) are listed as "<abi> <name>" lines in
<arch>-<caps>.unknown, so the test can tell those from real differences.
<arch>-<caps>.highest holds, per ABI, the highest syscall number the rules
name as libseccomp resolves it: runc puts an "-ENOSYS stub" in front of the
libseccomp program for numbers above it, which the test emulates.

Usage: runtime/seccomp/tests/libseccomp/gen.py
"""
import json
import os
import seccomp

HERE = os.path.dirname(os.path.abspath(__file__))
PROFILE = os.path.join(HERE, "..", "..", "profiles", "docker-default.json")
KERNEL = (6, 1)
DOCKER_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
               "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
               "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE"]
CAP_SETS = {"nocaps": [], "docker": DOCKER_CAPS, "sysadmin": DOCKER_CAPS + ["CAP_SYS_ADMIN"]}
# native arch -> (GOARCH, libseccomp arches in filter order)
ARCHES = {
    "x86_64": ("amd64", [seccomp.Arch.X86_64, seccomp.Arch.X86, seccomp.Arch.X32]),
    "aarch64": ("arm64", [seccomp.Arch.AARCH64, seccomp.Arch.ARM]),
    "arm": ("arm", [seccomp.Arch.ARM]),
}
ABI_NAMES = {seccomp.Arch.X86_64: "x86_64", seccomp.Arch.X86: "x86", seccomp.Arch.X32: "x32",
             seccomp.Arch.AARCH64: "aarch64", seccomp.Arch.ARM: "arm"}
OPS = {"SCMP_CMP_EQ": seccomp.EQ, "SCMP_CMP_NE": seccomp.NE, "SCMP_CMP_LT": seccomp.LT,
       "SCMP_CMP_LE": seccomp.LE, "SCMP_CMP_GT": seccomp.GT, "SCMP_CMP_GE": seccomp.GE,
       "SCMP_CMP_MASKED_EQ": seccomp.MASKED_EQ}


def kver(s):
    major, minor = s.split(".")[:2]
    return (int(major), int(minor))


def resolve(profile, goarch, caps):
    out = []
    for rule in profile["syscalls"]:
        ex = rule.get("excludes") or {}
        inc = rule.get("includes") or {}
        if goarch in (ex.get("arches") or []):
            continue
        if any(c in caps for c in ex.get("caps") or []):
            continue
        if ex.get("minKernel") and KERNEL >= kver(ex["minKernel"]):
            continue
        if inc.get("arches") and goarch not in inc["arches"]:
            continue
        if not all(c in caps for c in inc.get("caps") or []):
            continue
        if inc.get("minKernel") and KERNEL < kver(inc["minKernel"]):
            continue
        out.append(rule)
    return out


def action(rule, default_errno):
    a = rule["action"]
    if a == "SCMP_ACT_ALLOW":
        return seccomp.ALLOW
    if a == "SCMP_ACT_ERRNO":
        return seccomp.ERRNO(rule.get("errnoRet", default_errno))
    raise SystemExit(f"unexpected action {a}")


def main():
    profile = json.load(open(PROFILE))
    default_errno = profile.get("defaultErrnoRet", 1)
    for native, (goarch, arches) in ARCHES.items():
        for capname, caps in CAP_SETS.items():
            f = seccomp.SyscallFilter(seccomp.ERRNO(default_errno))
            for a in arches:
                if a != seccomp.Arch.NATIVE and not f.exist_arch(a):
                    f.add_arch(a)
            if seccomp.Arch.NATIVE not in arches and native != "x86_64":
                f.remove_arch(seccomp.Arch.NATIVE)
            f.set_attr(seccomp.Attr.ACT_BADARCH, seccomp.KILL_PROCESS)
            # runc (>= 1.1) asks for the binary tree when there are > 32 rules.
            f.set_attr(seccomp.Attr.CTL_OPTIMIZE, 2)
            unknown = set()
            highest = {}
            for rule in resolve(profile, goarch, caps):
                args = [seccomp.Arg(a["index"], OPS[a["op"]], a["value"], a.get("valueTwo", 0))
                        for a in rule.get("args") or []]
                act = action(rule, default_errno)
                for name in rule["names"]:
                    for a in arches:
                        try:
                            nr = seccomp.resolve_syscall(a, name)
                        except (RuntimeError, ValueError):
                            nr = -1
                        if nr < 0:
                            unknown.add(f"{ABI_NAMES[a]} {name}")
                        else:
                            highest[a] = max(highest.get(a, 0), nr)
                    try:
                        f.add_rule(act, name, *args)
                    except (RuntimeError, ValueError):
                        pass  # unknown on every ABI: recorded above
            base = os.path.join(HERE, f"{native}-{capname}")
            with open(base + ".bpf", "wb") as out:
                f.export_bpf(out)
            with open(base + ".unknown", "w") as out:
                out.write("".join(n + "\n" for n in sorted(unknown)))
            # runc prepends a stub returning ENOSYS above these (its patchbpf).
            with open(base + ".highest", "w") as out:
                out.write("".join(f"{ABI_NAMES[a]} {n}\n" for a, n in highest.items()))
            print(base, os.path.getsize(base + ".bpf") // 8, "instructions,", len(unknown), "unresolved")


main()
