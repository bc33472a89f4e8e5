# mfa-env shell integration for PowerShell. Load it from $PROFILE:
#     mfa-env init powershell | Out-String | Invoke-Expression
#
# It defines a function named mfa-env that wraps the binary, so that `mfa-env PROFILE`,
# `mfa-env export PROFILE` and `mfa-env unset` change this session's environment by themselves.
# Everything else (--help, --version, --format, exec, status, list, init, completions, setup,
# doctor, agent, keys, help) runs the binary as it is; help and version that slip through (`mfa-env dev -hh`)
# come on stderr with a failing status, so nothing is evaluated. Loading this script runs nothing: a
# missing binary cannot break start-up.

function mfa-env {
    # The binary, not this function: the first application of that name on PATH.
    $mfaEnvExe = Get-Command -Name mfa-env -CommandType Application -ErrorAction SilentlyContinue |
        Select-Object -First 1
    if ($null -eq $mfaEnvExe) {
        Write-Error 'mfa-env: the mfa-env program is not on PATH'
        return
    }
    # A Tab press: clap_complete's script asks the binary for candidates; pass it through.
    if ($env:_MFA_ENV_COMPLETE) {
        & $mfaEnvExe @args
        return
    }
    $first = if ($args.Count -gt 0) { [string]$args[0] } else { '' }
    if ($first -cin @('exec', 'status', 'list', 'init', 'completions', 'setup', 'doctor', 'agent', 'keys', 'help')) {
        & $mfaEnvExe @args
        return
    }
    foreach ($arg in $args) {
        $word = [string]$arg
        if ($word -ceq '--') { break }
        if ($word -cin @('-h', '--help', '-V', '--version', '--format', '--shell') -or
            $word -clike '-f*' -or $word -clike '-s*' -or
            $word -clike '--format=*' -or $word -clike '--shell=*') {
            # Help, or output asked for in a format of its own: print it, evaluate nothing.
            & $mfaEnvExe @args
            return
        }
    }
    # On failure evaluate nothing; $LASTEXITCODE keeps the binary's status.
    $env:_MFA_ENV_EVAL = 'powershell'
    try {
        $code = (& $mfaEnvExe @args) -join "`n"
    } finally {
        Remove-Item -LiteralPath Env:_MFA_ENV_EVAL -ErrorAction SilentlyContinue
    }
    if ($LASTEXITCODE -ne 0) { return }
    if ($code) { Invoke-Expression $code }
}
