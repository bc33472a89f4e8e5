def _mfa_env_completer_register():
    import subprocess
    from xonsh.built_ins import XSH
    from xonsh.completers.completer import add_one_completer
    from xonsh.completers.tools import RichCompletion, contextual_command_completer_for

    @contextual_command_completer_for("mfa-env")
    def complete(command):
        words = [arg.value for arg in command.args[: command.arg_index]] + [command.prefix]
        env = XSH.env.detype()
        env["_MFA_ENV_COMPLETE"] = "xonsh"
        try:
            out = subprocess.run(
                ["mfa-env", "--", *words],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                timeout=10,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        found = set()
        for line in out.splitlines():
            value, _, help = line.partition("	")
            if value:
                found.add(RichCompletion(value, description=help, append_space=True))
        return found

    add_one_completer("mfa-env", complete, "start")


_mfa_env_completer_register()
del _mfa_env_completer_register
