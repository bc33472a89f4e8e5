# Homebrew formula for a tap (github.com/mfa-env/homebrew-tap, as Formula/mfa-env.rb):
#   brew install mfa-env/tap/mfa-env
# It installs the release archive for the machine's system and architecture. The release
# workflow writes this file with the version and each archive's sha256 filled in
# (`scripts/dist --formula`) and attaches it to the release; copy that one into the tap.
class MfaEnv < Formula
  desc "Export an MFA-authenticated AWS session into the current shell, writing nothing to disk"
  homepage "https://github.com/mfa-env/mfa-env"
  version "0.1.0"
  license any_of: ["MIT", "Apache-2.0"]

  on_macos do
    on_arm do
      url "https://github.com/mfa-env/mfa-env/releases/download/v#{version}/mfa-env-#{version}-aarch64-apple-darwin.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
    on_intel do
      url "https://github.com/mfa-env/mfa-env/releases/download/v#{version}/mfa-env-#{version}-x86_64-apple-darwin.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end

  on_linux do
    on_arm do
      url "https://github.com/mfa-env/mfa-env/releases/download/v#{version}/mfa-env-#{version}-aarch64-unknown-linux-musl.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
    on_intel do
      url "https://github.com/mfa-env/mfa-env/releases/download/v#{version}/mfa-env-#{version}-x86_64-unknown-linux-musl.tar.gz"
      sha256 "0000000000000000000000000000000000000000000000000000000000000000"
    end
  end

  def install
    bin.install "mfa-env"
    bash_completion.install "completions/mfa-env.bash" => "mfa-env"
    zsh_completion.install "completions/mfa-env.zsh" => "_mfa-env"
    fish_completion.install "completions/mfa-env.fish"
    man1.install Dir["man/*.1"]
    doc.install "README.md"
  end

  def caveats
    <<~EOS
      To export sessions into the shell itself, add to ~/.zshrc:
        command -v mfa-env >/dev/null && eval "$(mfa-env init zsh)"
      (bash: ~/.bash_profile with init bash; fish: config.fish with `mfa-env init fish | source`).
    EOS
  end

  test do
    assert_equal "mfa-env #{version}", shell_output("#{bin}/mfa-env --version").strip
    assert_match "mfa-env", shell_output("#{bin}/mfa-env init zsh")
  end
end
