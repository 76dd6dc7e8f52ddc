// Finding the image and command in an engine's command line needs to know which options take a
// value (`-v A:B img` vs `--rm img`): both CLIs use Go flag parsing where a boolean never eats the
// next word and every other option does unless written --opt=value. So the tables below list the
// booleans (those `docker run --help` / `podman run --help` show without a value type); any
// option not listed takes a value. An option neither engine knows is thus read as taking one,
// which at worst names the wrong image in the profile; the engine itself rejects it anyway.
#include "tailor/engine_cmd.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace tailor {

namespace {

constexpr std::array<std::string_view, 36> kRunBool = {
    "--detach",
    "--interactive",
    "--tty",
    "--rm",
    "--init",
    "--privileged",
    "--publish-all",
    "--read-only",
    "--sig-proxy",
    "--oom-kill-disable",
    "--no-healthcheck",
    "--disable-content-trust",
    "--quiet",
    "--help",
    "--replace",
    "--rmi",
    "--read-only-tmpfs",
    "--tls-verify",
    "--http-proxy",
    "--env-host",
    "--no-hosts",
    "--passwd",
    "--rootfs",
    "--unsetenv-all",
    "--no-reset",
    "--keep",
    "--no-subreaper",
    "--no-pivot",
    "--no-new-keyring",
    "--systemd-cgroup",
    "--debug",
    "--tls",
    "--tlsverify",
    "--remote",
    "--syslog",
    "--noout",
};
// Short booleans: -d -i -t -P -q (docker, podman); runc/crun: -d.
constexpr std::string_view kShortBool = "ditPq";

constexpr std::array<std::string_view, 2> kGlobalShortBool = {"-D", "-r"};

bool is_bool_long(std::string_view opt) {
  return std::find(kRunBool.begin(), kRunBool.end(), opt) != kRunBool.end();
}

// How many argv words the option at argv[i] takes, itself included.
std::size_t option_words(const std::string& a, bool global) {
  if (a.rfind("--", 0) == 0) {
    if (a.find('=') != std::string::npos) return 1;
    return is_bool_long(a) ? 1 : 2;
  }
  // -x, -xVALUE, or a cluster of short booleans (-it, -dit).
  if (a.size() < 2) return 1;
  if (global &&
      std::find(kGlobalShortBool.begin(), kGlobalShortBool.end(), a) != kGlobalShortBool.end())
    return 1;
  if (a.find_first_not_of(kShortBool, 1) == std::string::npos) return 1;
  if (a.size() > 2 && a[1] != '-') {
    // -eX=1, -v/a:/b: a value attached to the first letter, unless it is a boolean cluster
    // ending in a valued letter (-itv X is not valid for Go flags anyway).
    return 1;
  }
  return 2;
}

}  // namespace

std::optional<EngineRun> parse_engine_run(const std::vector<std::string>& argv) {
  if (argv.empty()) return std::nullopt;
  std::string base = argv[0].substr(argv[0].rfind('/') + 1);
  if (base != "docker" && base != "podman" && base != "runc" && base != "crun") return std::nullopt;
  EngineRun r;
  r.engine = base;
  const bool oci = base == "runc" || base == "crun";
  // Global options, then the subcommand (`run`, or `container run`).
  std::size_t i = 1;
  while (i < argv.size() && argv[i].size() > 1 && argv[i][0] == '-')
    i += option_words(argv[i], true);
  if (i < argv.size() && argv[i] == "container" && !oci) ++i;
  if (i >= argv.size() || argv[i] != "run") return std::nullopt;
  r.run_at = i;
  r.prefix.assign(argv.begin(), argv.begin() + static_cast<std::ptrdiff_t>(i));
  if (r.prefix.size() > 1 && r.prefix.back() == "container") r.prefix.pop_back();
  ++i;
  while (i < argv.size()) {
    const std::string& a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    const std::size_t words = option_words(a, false);
    std::string value;
    std::string name = a;
    if (auto eq = a.find('='); a.rfind("--", 0) == 0 && eq != std::string::npos) {
      name = a.substr(0, eq);
      value = a.substr(eq + 1);
    } else if (words == 2 && i + 1 < argv.size()) {
      value = argv[i + 1];
    } else if (a[1] != '-' && a.size() > 2 &&
               a.find_first_not_of(kShortBool, 1) != std::string::npos) {
      name = a.substr(0, 2);
      value = a.substr(2);
    }
    EngineOption opt{name, std::nullopt, i};
    if (words == 2 || name != a) opt.value = value;
    r.options.push_back(std::move(opt));
    if (name == "--detach" || (name[1] != '-' && name.find('d') != std::string::npos &&
                               a.find_first_not_of(kShortBool, 1) == std::string::npos))
      r.detach = value.empty() || value == "true";
    if (name == "--cidfile") r.cidfile = value;
    if (name == "--pid") r.pid_host = value == "host";
    i += words;
  }
  if (i >= argv.size()) return std::nullopt;  // no image (or id): the engine will say so
  if (oci) {
    r.container_id = argv.back();
  } else {
    r.image = argv[i];
    r.command.assign(argv.begin() + static_cast<std::ptrdiff_t>(i) + 1, argv.end());
  }
  return r;
}

std::vector<std::string> with_cidfile(const std::vector<std::string>& argv, const EngineRun& r,
                                      const std::string& path) {
  std::vector<std::string> out(argv.begin(),
                               argv.begin() + static_cast<std::ptrdiff_t>(r.run_at) + 1);
  out.push_back("--cidfile");
  out.push_back(path);
  out.insert(out.end(), argv.begin() + static_cast<std::ptrdiff_t>(r.run_at) + 1, argv.end());
  return out;
}

}  // namespace tailor
