# mfa-env shell integration for nushell. nushell runs no code it did not parse at start-up, so
# the script is saved where nushell loads files from after config.nu; add to config.nu:
#     mkdir ($nu.user-autoload-dirs | first); mfa-env init nu | save -f ($nu.user-autoload-dirs | first | path join mfa-env.nu)
#
# It defines a command named mfa-env that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this shell's environment by themselves:
# the binary prints a record ({"set": {...}, "unset": [...]}) that the command loads with
# load-env and hide-env. Everything else (--help, --version, --format, exec, status, list, init,
# completions, setup, doctor, agent, keys, help) runs the binary as it is; help and version that slip through
# (`mfa-env dev -hh`) come on stderr with a failing status, so nothing is loaded. Loading this
# file runs nothing: a missing binary cannot break start-up.

# Whether `mfa-env ...$args` prints a record to load, rather than output for a person.
def _mfa_env_loads [args: list<string>]: nothing -> bool {
    # A Tab press asks the binary for candidates: pass it through.
    if '_MFA_ENV_COMPLETE' in $env {
        return false
    }
    let first = ($args | get -o 0 | default '')
    if $first in [exec status list init completions setup doctor agent keys help] {
        return false
    }
    for arg in $args {
        if $arg == '--' {
            break
        }
        # Help, or output asked for in a format of its own: print it, load nothing.
        if ($arg in [-h --help -V --version --format --shell]) or ($arg starts-with '-f') or ($arg starts-with '-s') or ($arg starts-with '--format=') or ($arg starts-with '--shell=') {
            return false
        }
    }
    true
}

def --env --wrapped mfa-env [...args: string] {
    if (_mfa_env_loads $args) {
        # A failing binary raises an error here: nothing is loaded, and the caller gets the
        # failure with the binary's exit status. _MFA_ENV_EVAL tells the binary to print the
        # record.
        let session = (with-env {_MFA_ENV_EVAL: nu} { ^mfa-env ...$args } | from json)
        load-env $session.set
        hide-env -i ...$session.unset
    } else {
        ^mfa-env ...$args
    }
}

# The subcommands that load, by their own names: the completions from
# `mfa-env completions nu` declare them, and these, loaded later, take their place. (The spread
# list keeps the parser from reading `mfa-env export` as this command again.)
def --env --wrapped "mfa-env export" [...args: string] {
    mfa-env ...(['export'] ++ $args)
}

def --env --wrapped "mfa-env unset" [...args: string] {
    mfa-env ...(['unset'] ++ $args)
}

def --env --wrapped "mfa-env clear" [...args: string] {
    mfa-env ...(['clear'] ++ $args)
}
