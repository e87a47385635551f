#include "harness/prometheus_text.h"

#include <cstdlib>
#include <sstream>
#include <vector>

namespace ocspcache::it {

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// name{a="x",b="y\"z"} 1.5 [timestamp]
std::optional<Sample> parse_line(const std::string& line) {
  if (line.empty() || line[0] == '#') return std::nullopt;
  Sample s;
  size_t i = 0;
  while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
  s.name = line.substr(0, i);
  if (i < line.size() && line[i] == '{') {
    ++i;
    while (i < line.size() && line[i] != '}') {
      size_t eq = line.find('=', i);
      if (eq == std::string::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
        return std::nullopt;
      }
      std::string key = line.substr(i, eq - i);
      std::string value;
      size_t j = eq + 2;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size()) {
          ++j;
          value += line[j] == 'n' ? '\n' : line[j];
        } else {
          value += line[j];
        }
      }
      s.labels[key] = value;
      i = j + 1;
      if (i < line.size() && line[i] == ',') ++i;
    }
    ++i;  // '}'
  }
  while (i < line.size() && line[i] == ' ') ++i;
  std::string number = line.substr(i, line.find(' ', i) - i);
  char* end = nullptr;
  s.value = std::strtod(number.c_str(), &end);
  if (end == number.c_str()) return std::nullopt;
  return s;
}

template <typename Fn>
void for_matching(std::string_view exposition, std::string_view name,
                  const std::map<std::string, std::string>& labels, Fn fn) {
  std::istringstream in{std::string(exposition)};
  std::string line;
  while (std::getline(in, line)) {
    auto s = parse_line(line);
    if (!s || s->name != name) continue;
    bool match = true;
    for (const auto& [k, v] : labels) {
      auto it = s->labels.find(k);
      if (it == s->labels.end() || it->second != v) match = false;
    }
    if (match && !fn(*s)) return;
  }
}

}  // namespace

std::optional<double> metric_value(std::string_view exposition, std::string_view name,
                                   const std::map<std::string, std::string>& labels) {
  std::optional<double> found;
  for_matching(exposition, name, labels, [&](const Sample& s) {
    found = s.value;
    return false;
  });
  return found;
}

double metric_sum(std::string_view exposition, std::string_view name,
                  const std::map<std::string, std::string>& labels) {
  double sum = 0;
  for_matching(exposition, name, labels, [&](const Sample& s) {
    sum += s.value;
    return true;
  });
  return sum;
}

}  // namespace ocspcache::it
