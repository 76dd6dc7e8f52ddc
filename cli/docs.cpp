// Man pages and shell completions written from the CLI11 model that parses tailor's command line,
// so that they say what --help says and never drift from it: the build runs
// `tailor --man-dir DIR --completion-dir DIR` (hidden options) and installs what it writes. A
// subcommand registered later gets its page and its completions without anything added here.
#include "docs.h"

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "tailor/error.h"
#include "tailor/profile_json.h"

namespace tailor::cli {
namespace {

std::vector<const CLI::App*> visible_subcommands(const CLI::App& app) {
  // CLI11 hides a subcommand by giving it no group, as it does options.
  return app.get_subcommands([](const CLI::App* s) { return !s->get_group().empty(); });
}

struct Opt {
  const CLI::Option* o;
  std::vector<std::string> names;    // "-o", "--output"; a positional's name alone
  std::string type;                  // "TEXT", "INT"...; "" for a flag
  std::vector<std::string> choices;  // IsMember's set
  bool positional, repeatable, hidden;
};

Opt describe(const CLI::Option* o) {
  Opt d{o, {}, "", {}, !o->nonpositional(), o->get_expected_max() > 1, o->get_group().empty()};
  for (const auto& s : o->get_snames()) d.names.push_back("-" + s);
  for (const auto& l : o->get_lnames()) d.names.push_back("--" + l);
  if (d.positional) d.names = {o->get_name(true)};
  if (o->get_type_size_max() > 0) {
    // CLI11 describes an option's value as "TYPE:{a,b,c}" when an IsMember check holds it.
    const std::string t = o->get_type_name();
    d.type = t.substr(0, t.find(':'));
    if (auto open = t.find(":{"); open != std::string::npos) {
      const auto close = t.find('}', open);
      std::stringstream set(t.substr(open + 2, close - open - 2));
      for (std::string v; std::getline(set, v, ',');) d.choices.push_back(v);
    }
  }
  return d;
}

std::vector<Opt> options_of(const CLI::App& app, bool with_hidden = false) {
  std::vector<Opt> out;
  for (const CLI::Option* o : app.get_options()) {
    Opt d = describe(o);
    if (!d.hidden || with_hidden) out.push_back(std::move(d));
  }
  return out;
}

// A value that is a number, where a shell should not offer file names.
bool numeric(const Opt& d) {
  return d.type == "INT" || d.type == "UINT" || d.type == "FLOAT" || d.type == "NUMBER";
}

// The positional that takes the command to run (`record -- CMD`, `run -- CMD`).
bool takes_command(const Opt& d) {
  return d.positional && d.names.front() == "command";
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// ---- roff -------------------------------------------------------------------------------------

// Text as roff shows it literally: backslashes and hyphen-minus escaped (an unescaped `-` is a
// typographic hyphen, and options must copy and paste), non-ASCII as \[uXXXX] (groff reads bytes
// as Latin-1), and a line that would start with a control character guarded with \&.
std::string roff(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\') {
      out += "\\e";
    } else if (c == '-') {
      out += "\\-";
    } else if (c >= 0x80) {
      const int extra = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
      unsigned cp = c & (0x3fu >> extra);
      for (int k = 0; k < extra && i + 1 < s.size(); ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3fu);
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", cp);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string roff_line(const std::string& s) {
  const std::string r = roff(s);
  return (!r.empty() && (r[0] == '.' || r[0] == '\'')) ? "\\&" + r : r;
}

std::string bold(const std::string& s) {
  return "\\fB" + roff(s) + "\\fR";
}
std::string italic(const std::string& s) {
  return "\\fI" + roff(s) + "\\fR";
}

// A footer is the long help, written for a terminal: paragraphs split by blank lines; flush-left
// lines are prose (filled), indented ones are tables and examples (kept as they are). A
// paragraph that starts with "Examples:" or "Exit status:" becomes that section of the page.
struct Footer {
  std::string description, examples, exit_status;
};

std::string roff_paragraph(const std::vector<std::string>& lines) {
  std::string out = ".PP\n";
  bool nofill = false;
  for (const auto& l : lines) {
    const bool indented = !l.empty() && l[0] == ' ';
    if (indented != nofill) out += indented ? ".nf\n" : ".fi\n";
    nofill = indented;
    out += roff_line(l) + "\n";
  }
  if (nofill) out += ".fi\n";
  return out;
}

Footer roff_footer(const std::string& footer) {
  Footer f;
  std::vector<std::vector<std::string>> paragraphs(1);
  for (const auto& l : lines_of(footer)) {
    if (l.find_first_not_of(' ') == std::string::npos) {
      if (!paragraphs.back().empty()) paragraphs.emplace_back();
    } else {
      paragraphs.back().push_back(l);
    }
  }
  auto starts = [](const std::string& l, const std::string& p) { return l.rfind(p, 0) == 0; };
  for (auto& p : paragraphs) {
    if (p.empty()) continue;
    if (starts(p[0], "Examples:") || starts(p[0], "Example:")) {
      p.erase(p.begin());
      f.examples += roff_paragraph(p);
    } else if (starts(p[0], "Exit status:")) {
      p[0] = p[0].substr(p[0].find_first_not_of(' ', 12));
      f.exit_status += roff_paragraph(p);
    } else {
      f.description += roff_paragraph(p);
    }
  }
  return f;
}

std::string page_name(const CLI::App& app, const CLI::App* sub) {
  return sub ? app.get_name() + "-" + sub->get_name() : app.get_name();
}

std::string synopsis(const std::string& command, const std::vector<Opt>& opts) {
  std::string out = ".B " + roff(command) + "\n";
  bool any_option = false;
  for (const auto& d : opts) any_option |= !d.positional;
  if (any_option) out += "[" + italic("OPTIONS") + "]\n";
  for (const auto& d : opts) {
    if (!d.positional) continue;
    std::string arg = italic(d.names.front()) + (d.repeatable ? " ..." : "");
    if (takes_command(d)) arg = bold("--") + " " + arg;
    out += (d.o->get_required() ? arg : "[" + arg + "]") + "\n";
  }
  return out;
}

std::string option_item(const Opt& d) {
  std::string tag;
  for (const auto& n : d.names)
    tag += (tag.empty() ? "" : ", ") + (d.positional ? italic(n) : bold(n));
  if (!d.choices.empty()) {
    std::string alts;
    for (const auto& c : d.choices) alts += (alts.empty() ? "" : "|") + italic(c);
    tag += " " + alts;
  } else if (!d.type.empty() && !d.positional) {
    tag += " " + italic(d.type);
  }
  if (d.repeatable) tag += " ...";
  std::string text = d.o->get_description();
  if (!d.o->get_default_str().empty()) text += " (default: " + d.o->get_default_str() + ")";
  if (d.repeatable && !d.positional) text += " (repeatable)";
  return ".TP\n" + tag + "\n" + roff_line(text) + "\n";
}

std::string see_also(const CLI::App& app, const std::string& self) {
  std::vector<std::string> pages = {app.get_name()};
  for (const auto* s : visible_subcommands(app)) pages.push_back(page_name(app, s));
  std::string out;
  for (const auto& p : pages)
    if (p != self) out += (out.empty() ? "" : ",\n") + std::string(".BR ") + roff(p) + " (1)";
  return out + "\n";
}

std::string man_page(const CLI::App& app, const CLI::App* sub) {
  const CLI::App& a = sub ? *sub : app;
  const std::string name = page_name(app, sub);
  const std::string command = sub ? app.get_name() + " " + sub->get_name() : app.get_name();
  const std::vector<Opt> opts = options_of(a);
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // The description of the main program reads "tailor: least-privilege ...": NAME says the first
  // part already.
  std::string summary = a.get_description();
  if (summary.rfind(app.get_name() + ": ", 0) == 0)
    summary = summary.substr(app.get_name().size() + 2);

  std::string out = ".\\\" Written by `" + app.get_name() +
                    " --man-dir` from its command line (cli/docs.cpp); edit the help there.\n";
  out += ".TH " + roff(upper) + " 1 \"\" \"" + roff(app.get_name() + " " + TAILOR_VERSION) +
         "\" \"User Commands\"\n.nh\n.ad l\n";
  out += ".SH NAME\n" + roff(name) + " \\- " + roff(summary) + "\n";
  out += ".SH SYNOPSIS\n" + synopsis(command, opts);
  if (!sub)
    out += ".br\n" + synopsis(command, {}) + italic("COMMAND") + " [" + italic("ARGS") + "]\n";
  const Footer f = roff_footer(a.get_footer());
  out += ".SH DESCRIPTION\n" + roff_line(a.get_description()) + "\n" + f.description;
  if (!sub) {
    out += ".SH COMMANDS\n";
    for (const auto* s : visible_subcommands(app))
      out += ".TP\n" + bold(page_name(app, s)) + "(1)\n" + roff_line(s->get_description()) + "\n";
  }
  std::string args, options;
  for (const auto& d : opts) (d.positional ? args : options) += option_item(d);
  if (!args.empty()) out += ".SH ARGUMENTS\n" + args;
  if (!options.empty()) out += ".SH OPTIONS\n" + options;
  out += ".SH EXIT STATUS\n";
  if (!f.exit_status.empty())
    out += f.exit_status;
  else
    out += roff_paragraph(
        {"0 on success, 2 on a usage error or a bad input file; see " + app.get_name() + "(1)."});
  if (!f.examples.empty()) out += ".SH EXAMPLES\n" + f.examples;
  out += ".SH SEE ALSO\n" + see_also(app, name);
  return out;
}

void write(const std::filesystem::path& path, const std::string& text) {
  std::error_code ec;
  std::filesystem::create_directories(path.parent_path(), ec);
  write_file_atomic(path.string(), text);
}

// ---- shells -----------------------------------------------------------------------------------

std::string join(const std::vector<std::string>& v, const std::string& sep = " ") {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string bash_completion(const CLI::App& app) {
  const std::string fn = "_" + app.get_name();
  std::string top;
  for (const auto* s : visible_subcommands(app)) top += s->get_name() + " ";
  for (const auto& d : options_of(app))
    if (!d.positional) top += join(d.names) + " ";
  std::string cases;
  for (const auto* s : visible_subcommands(app)) {
    std::string values, opts;
    std::map<std::string, std::vector<std::string>> by_action;  // action -> option names
    for (const auto& d : options_of(*s, true)) {
      if (d.positional) continue;
      if (!d.hidden) opts += join(d.names) + " ";
      if (d.type.empty()) continue;  // a flag takes no value
      if (!d.choices.empty())
        values += "      " + join(d.names, "|") + ") " + fn + "_words '" + join(d.choices) +
                  "'; return ;;\n";
      else
        by_action[numeric(d) ? "return" : fn + "_files; return"].push_back(join(d.names, "|"));
    }
    for (const auto& [action, names] : by_action)
      values += "      " + join(names, "|") + ") " + action + " ;;\n";
    cases += "    " + s->get_name() + ")\n";
    if (!values.empty()) cases += "      case $prev in\n" + values + "      esac\n";
    cases += "      opts='" + opts.substr(0, opts.size() - 1) + "' ;;\n";
  }
  return "# bash completion for " + app.get_name() + ", written by `" + app.get_name() +
         " --completion-dir` from its command line\n"
         "# (cli/docs.cpp): commands, options, the values of options that take fixed ones, files.\n"
         "\n" +
         fn + "_words() { mapfile -t COMPREPLY < <(compgen -W \"$1\" -- \"$cur\"); }\n" + fn +
         "_files() {\n"
         "  compopt -o filenames 2>/dev/null\n"
         "  mapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
         "}\n\n" +
         fn +
         "() {\n"
         "  local cur=${COMP_WORDS[COMP_CWORD]} prev= cmd= dashdash=0 opts i\n"
         "  ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
         "  # --option=value: bash splits the word at '='\n"
         "  if [[ $cur == = ]]; then\n"
         "    cur=\n"
         "  elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then\n"
         "    prev=${COMP_WORDS[COMP_CWORD - 2]}\n"
         "  fi\n"
         "  COMPREPLY=()\n"
         "  for ((i = 1; i < COMP_CWORD; i++)); do\n"
         "    if [[ -z $cmd && ${COMP_WORDS[i]} != -* ]]; then\n"
         "      cmd=${COMP_WORDS[i]}\n"
         "    elif [[ -n $cmd && ${COMP_WORDS[i]} == -- ]]; then\n"
         "      dashdash=$i\n"
         "      break\n"
         "    fi\n"
         "  done\n"
         "  if ((dashdash > 0)); then\n"
         "    # after --: a command, then its arguments\n"
         "    if ((COMP_CWORD == dashdash + 1)); then\n"
         "      mapfile -t COMPREPLY < <(compgen -c -- \"$cur\")\n"
         "    else\n"
         "      " +
         fn +
         "_files\n"
         "    fi\n"
         "    return\n"
         "  fi\n"
         "  case $cmd in\n"
         "    '') " +
         fn + "_words '" + top.substr(0, top.size() - 1) + "'; return ;;\n" + cases +
         "    *) return ;;\n"
         "  esac\n"
         "  if [[ $cur == -* ]]; then\n"
         "    " +
         fn +
         "_words \"$opts\"\n"
         "  else\n"
         "    " +
         fn +
         "_files\n"
         "  fi\n"
         "}\n"
         "complete -F " +
         fn + " " + app.get_name() + "\n";
}

// Inside a single-quoted _arguments spec: quotes closed and reopened, and the characters that
// end a description ([...]) or separate fields (:) escaped.
std::string zsh_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else if (c == '[' || c == ']' || c == ':' || c == '\\')
      out += std::string("\\") + c;
    else
      out += c;
  }
  return out;
}

// The help line up to its first "(", ";" or ":" clause: a completion menu has one line.
std::string zsh_desc(const std::string& s) {
  std::string d = s.substr(0, s.find_first_of("(;"));
  while (!d.empty() && d.back() == ' ') d.pop_back();
  return zsh_text(d.empty() ? s : d);
}

std::string zsh_spec(const Opt& d) {
  std::string action;
  if (!d.choices.empty())
    action = ":" + zsh_text(d.names.back()) + ":(" + join(d.choices) + ")";
  else if (numeric(d))
    action = ":" + d.type + ": ";
  else if (!d.type.empty())
    action = ":" + d.type + ":_files";
  const std::string desc = "[" + zsh_desc(d.o->get_description()) + "]" + action + "'";
  std::string out = "    ";
  // One spec per name; a short and long name exclude each other (one option).
  const std::string exclude = d.repeatable ? "*" : "(" + join(d.names) + ")";
  if (d.names.size() == 1) {
    out += "'" + (d.repeatable ? std::string("*") : "") + d.names[0] +
           (d.type.empty() ? "" : (d.names[0].size() > 2 ? "=" : "+")) + desc;
  } else {
    std::string names;
    for (const auto& n : d.names)
      names += (names.empty() ? "" : ",") + n + (d.type.empty() ? "" : (n.size() > 2 ? "=" : "+"));
    out += "'" + exclude + "'{" + names + "}'" + desc;
  }
  return out + " \\\n";
}

std::string zsh_completion(const CLI::App& app) {
  std::string commands, cases;
  for (const auto* s : visible_subcommands(app)) {
    commands += "        '" + s->get_name() + ":" + zsh_desc(s->get_description()) + "'\n";
    std::string specs;
    for (const auto& d : options_of(*s)) {
      if (!d.positional) {
        specs += zsh_spec(d);
        continue;
      }
      const std::string tag = zsh_text(d.names.front());
      if (takes_command(d))
        specs += "    '*::" + tag + ":_normal' \\\n";
      else if (d.repeatable)
        specs += "    '*:" + tag + ":_files' \\\n";
      else
        specs += std::string("    '") + (d.o->get_required() ? ":" : "::") + tag + ":_files' \\\n";
    }
    cases += "        " + s->get_name() + ")\n          _arguments -S \\\n" + specs +
             "            && ret=0 ;;\n";
  }
  std::string top;
  // --help and --version end the command line; zsh expands {a,b} only for two names or more.
  for (const auto& d : options_of(app))
    if (!d.positional)
      top += "    '(- :)'" +
             (d.names.size() > 1 ? "{" + join(d.names, ",") + "}" : d.names.front()) + "'[" +
             zsh_desc(d.o->get_description()) + "]' \\\n";
  const std::string n = app.get_name();
  return "#compdef " + n + "\n# zsh completion for " + n + ", written by `" + n +
         " --completion-dir` from its command line\n"
         "# (cli/docs.cpp): commands, options, the values of options that take fixed ones, "
         "files.\n\n_" +
         n +
         "() {\n"
         "  local curcontext=$curcontext state state_descr line ret=1\n"
         "  typeset -A opt_args\n"
         "  _arguments -C \\\n" +
         top +
         "    ':command:->command' \\\n"
         "    '*::argument:->argument' && ret=0\n"
         "  case $state in\n"
         "    command)\n"
         "      local -a commands=(\n" +
         commands +
         "      )\n"
         "      _describe -t commands '" +
         n +
         " command' commands && ret=0 ;;\n"
         "    argument)\n"
         "      curcontext=${curcontext%:*:*}:" +
         n +
         "-$words[1]:\n"
         "      case $words[1] in\n" +
         cases +
         "      esac ;;\n"
         "  esac\n"
         "  return ret\n"
         "}\n\n_" +
         n + " \"$@\"\n";
}

}  // namespace

void write_man_pages(const CLI::App& app, const std::string& dir) {
  write(std::filesystem::path(dir) / (app.get_name() + ".1"), man_page(app, nullptr));
  for (const auto* s : visible_subcommands(app))
    write(std::filesystem::path(dir) / (page_name(app, s) + ".1"), man_page(app, s));
}

void write_completions(const CLI::App& app, const std::string& dir) {
  write(std::filesystem::path(dir) / app.get_name(), bash_completion(app));
  write(std::filesystem::path(dir) / ("_" + app.get_name()), zsh_completion(app));
}

}  // namespace tailor::cli
