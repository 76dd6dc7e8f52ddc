// Backward data flow of one register inside one function, shared by the x86 and aarch64
// decoders: the search that finds which constants a syscall number (or a dlopen file name) can
// be, whatever the instruction set.
//
// From the instruction of interest the search walks to each predecessor of an instruction (the
// one before it, unless that one ends the flow, and every direct branch in the function that
// targets it). A state is (instruction, the register or stack slot asked about). Along each
// path the first instruction that writes the location decides: a constant, another location
// to follow, or "unknown". Reaching the function's entry names the argument the location
// carries there. The number of states is bounded, so a huge function costs a bounded amount
// and the rest counts as unknown, never as a guess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

namespace tailor::analyzer {

// The outcome of following a location backwards along every path inside its function.
struct Origin {
  std::vector<std::uint64_t> values;  // constants (or addresses) it can hold
  bool unknown = false;               // some path gives a value not seen statically
  int arg = -1;                       // some path reaches the function's entry: this argument
};

// The states still to look at: (instruction index, location).
using TraceWork = std::vector<std::pair<std::size_t, unsigned>>;

inline constexpr std::size_t kMaxTraceStates = 512;

// `preds(pos)`: the instruction indexes that can run just before `pos` (empty: reached only
// through an indirect jump). `entry_arg(loc)`: the argument `loc` holds at the function's entry,
// or -1. `step(p, loc, out, values, work)`: what instruction `p` does to `loc` — add a constant
// to `values`, push the location(s) to follow from `p` onto `work`, or set `out.unknown`.
template <typename Preds, typename EntryArg, typename Step>
Origin trace_back(std::size_t at, std::size_t start, unsigned loc, Preds preds, EntryArg entry_arg,
                  Step step) {
  Origin out;
  std::set<std::pair<std::size_t, unsigned>> seen;
  TraceWork work{{at, loc}};
  std::set<std::uint64_t> values;
  while (!work.empty()) {
    const auto [pos, want] = work.back();
    work.pop_back();
    if (!seen.insert({pos, want}).second) continue;
    if (seen.size() > kMaxTraceStates) {
      out.unknown = true;
      break;
    }
    if (pos == start) {
      if (const int a = entry_arg(want); a >= 0) {
        out.arg = a;
      } else {
        out.unknown = true;
      }
      continue;
    }
    const std::vector<std::size_t> from = preds(pos);
    if (from.empty()) out.unknown = true;
    for (std::size_t p : from) step(p, want, out, values, work);
  }
  out.values.assign(values.begin(), values.end());
  return out;
}

// Records a syscall instruction (or wrapper call) `s` of function `f` by what the search found:
// one site per number it can make; a site without a number says why — its function passes an
// argument on (a wrapper: `from_arg`), or the number is not visible (unresolved).
template <typename Site>
void add_traced_sites(Site s, const Origin& o, std::uint32_t f, std::vector<Site>& sites,
                      std::vector<std::uint32_t>& site_fn) {
  for (std::uint64_t nr : o.values) {
    Site one = s;
    one.nr = static_cast<std::uint32_t>(nr);
    sites.push_back(std::move(one));
    site_fn.push_back(f);
  }
  if (o.arg >= 0) {
    Site w = s;
    w.from_arg = o.arg;
    sites.push_back(std::move(w));
    site_fn.push_back(f);
  }
  if (o.unknown || (o.values.empty() && o.arg < 0)) {
    sites.push_back(std::move(s));
    site_fn.push_back(f);
  }
}

}  // namespace tailor::analyzer
