# mfa-env shell integration for elvish. Load it from ~/.config/elvish/rc.elv:
#     eval (mfa-env init elvish | slurp)
#
# It defines a function named mfa-env that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this shell's environment by themselves.
# Everything else (--help, --version, --format, exec, status, list, init, completions, setup,
# doctor, agent, keys, help) runs the binary as it is; help and version that slip through (`mfa-env dev -hh`)
# come on stderr with a failing status, so nothing is evaluated. Loading this file runs nothing: a
# missing binary cannot break start-up.
#
# eval keeps what it defines in a namespace of its own: edit:add-var puts the function where
# the prompt finds it (as zoxide does), so the function is for interactive elvish.

use str

fn mfa-env {|@args|
    # A Tab press: clap_complete's script asks the binary for candidates; pass it through.
    if (has-env _MFA_ENV_COMPLETE) {
        e:mfa-env $@args
        return
    }
    var first = ''
    if (> (count $args) 0) {
        set first = $args[0]
    }
    if (has-value [exec status list init completions setup doctor agent keys help] $first) {
        e:mfa-env $@args
        return
    }
    for arg $args {
        if (eq $arg --) {
            break
        }
        if (or (has-value [-h --help -V --version --format --shell] $arg) ^
               (str:has-prefix $arg -f) (str:has-prefix $arg -s) ^
               (str:has-prefix $arg --format=) (str:has-prefix $arg --shell=)) {
            # Help, or output asked for in a format of its own: print it, evaluate nothing.
            e:mfa-env $@args
            return
        }
    }
    # A failing binary raises an exception here: nothing is evaluated, and the caller gets
    # the failure with the binary's exit status. _MFA_ENV_EVAL tells the binary which shell
    # reads its output; tmp sets it for this call only.
    var code = (tmp E:_MFA_ENV_EVAL = elvish; e:mfa-env $@args | slurp)
    eval $code
}
edit:add-var mfa-env~ $mfa-env~
