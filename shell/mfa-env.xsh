# mfa-env shell integration for xonsh. Load it from ~/.xonshrc:
#     execx($(mfa-env init xonsh))
#
# It defines an alias named mfa-env that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this shell's environment by themselves.
# Everything else (--help, --version, --format, exec, status, list, init, completions, setup,
# doctor, agent, keys, help) runs the binary as it is; help and version that slip through (`mfa-env dev -hh`)
# come on stderr with a failing status, so nothing is evaluated. Loading this file runs nothing: a
# missing binary cannot break start-up.


def _mfa_env_alias(args, stdin=None, stdout=None, stderr=None):
    """Run the mfa-env binary; evaluate its output for PROFILE, export and unset."""
    import shutil
    import subprocess
    import sys

    env = __xonsh__.env.detype()
    # The binary, not this alias: the first program of that name on PATH.
    exe = shutil.which("mfa-env", path=env.get("PATH"))
    if exe is None:
        print("mfa-env: the mfa-env program is not on PATH", file=stderr or sys.stderr)
        return 127
    passed = True
    # A Tab press asks the binary for candidates: pass it through.
    if "_MFA_ENV_COMPLETE" not in env:
        first = args[0] if args else ""
        passed = first in ("exec", "status", "list", "init", "completions", "setup", "doctor", "agent", "keys", "help")
        for arg in args:
            if passed or arg == "--":
                break
            # Help, or output asked for in a format of its own: print it, evaluate nothing.
            passed = arg in ("-h", "--help", "-V", "--version", "--format", "--shell") or arg.startswith(
                ("-f", "-s", "--format=", "--shell=")
            )
    if passed:
        return subprocess.run([exe, *args], env=env, stdin=stdin, stdout=stdout, stderr=stderr).returncode
    # On failure evaluate nothing and return the binary's status. _MFA_ENV_EVAL tells the
    # binary which shell reads its output (ASCII Python statements).
    env["_MFA_ENV_EVAL"] = "xonsh"
    run = subprocess.run([exe, *args], env=env, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr)
    if run.returncode != 0:
        return run.returncode
    execx(run.stdout.decode("ascii"))
    return 0


aliases["mfa-env"] = _mfa_env_alias
