// Man pages and shell completions from the CLI11 model of tailor's command line (docs.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace tailor::cli {

// DIR/NAME.1 for the program and DIR/NAME-SUB.1 for each visible subcommand: description and
// long help (the footer), options with their values and defaults, exit status, examples.
void write_man_pages(const CLI::App& app, const std::string& dir);

// DIR/NAME (bash) and DIR/_NAME (zsh): commands, options, fixed option values, files.
void write_completions(const CLI::App& app, const std::string& dir);

}  // namespace tailor::cli
