# mfa-env shell integration for fish. Load it from ~/.config/fish/config.fish:
#     mfa-env init fish | source
#
# It defines a function named mfa-env that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this shell's environment by themselves.
# Everything else (--help, --version, --format, exec, status, list, init, completions, setup,
# doctor, agent, keys, help) runs the binary as it is; help and version that slip through (`mfa-env dev -hh`)
# come on stderr with a failing status, so nothing is evaluated. Sourcing this file runs nothing: a
# missing binary cannot break start-up.

function mfa-env --description 'Export an MFA-authenticated AWS session into this shell'
    # A Tab press: clap_complete's script asks the binary for candidates; pass it through.
    if set -q _MFA_ENV_COMPLETE
        command mfa-env $argv
        return
    end
    switch "$argv[1]"
        case exec status list init completions setup doctor agent keys help
            command mfa-env $argv
            return
    end
    for arg in $argv
        switch $arg
            case --
                break
            case -h --help -V --version '-f*' '-s*' --format '--format=*' --shell '--shell=*'
                # Help, or output asked for in a format of its own: print it, evaluate nothing.
                command mfa-env $argv
                return
        end
    end
    # On failure evaluate nothing and return the binary's status. _MFA_ENV_EVAL tells the
    # binary which shell reads its output; `read -z` keeps the output in one piece (it holds no
    # NUL). A pipe, not a command substitution: fish gives a substitution the shell's own
    # stderr, so `mfa-env dev 2>/dev/null` would not have silenced the binary's messages.
    _MFA_ENV_EVAL=fish command mfa-env $argv | read -lz code
    set -l code_status $pipestatus[1]
    if test $code_status -ne 0
        return $code_status
    end
    printf '%s\n' $code | source
end
