#pragma once
// A strict little reader of the Prometheus text format (0.0.4) for the query tests: it refuses what
// a scraper would refuse (a sample without a TYPE, a duplicate series, a bad escape).
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace scorestream::testing {

using labels = std::map<std::string, std::string>;

struct metric_sample {
    std::string name;
    labels labels_;
    double value = 0;
};

struct metrics_text {
    std::map<std::string, std::string> types;  // family -> counter, gauge, histogram
    std::vector<metric_sample> samples;

    /// The value of the one series with exactly these labels; throws when there is none.
    double at(const std::string& name, const labels& l) const {
        for (const auto& s : samples)
            if (s.name == name && s.labels_ == l) return s.value;
        throw std::runtime_error("no series " + name);
    }
    std::vector<const metric_sample*> all(const std::string& name) const {
        std::vector<const metric_sample*> out;
        for (const auto& s : samples)
            if (s.name == name) out.push_back(&s);
        return out;
    }
};

inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
    if (types.count(name)) return name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string sfx(suffix);
        if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
            const auto base = name.substr(0, name.size() - sfx.size());
            auto it = types.find(base);
            if (it != types.end() && it->second == "histogram") return base;
        }
    }
    throw std::runtime_error("sample without TYPE: " + name);
}

inline metrics_text parse_metrics(const std::string& text) {
    metrics_text out;
    std::set<std::string> seen;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        if (eol == std::string::npos) throw std::runtime_error("last line without line feed");
        const std::string line = text.substr(pos, eol - pos);
        pos = eol + 1;
        if (line.empty()) continue;
        if (line[0] == '#') {
            if (line.rfind("# TYPE ", 0) == 0) {
                const auto rest = line.substr(7);
                const auto sp = rest.find(' ');
                if (!out.types.emplace(rest.substr(0, sp), rest.substr(sp + 1)).second)
                    throw std::runtime_error("TYPE twice: " + line);
            }
            continue;
        }
        metric_sample s;
        std::size_t i = 0;
        while (i < line.size() && line[i] != '{' && line[i] != ' ') s.name += line[i++];
        if (i < line.size() && line[i] == '{') {
            ++i;
            while (line.at(i) != '}') {
                std::string key;
                while (line.at(i) != '=') key += line[i++];
                if (line.at(++i) != '"') throw std::runtime_error("label value without quote: " + line);
                ++i;
                std::string value;
                while (line.at(i) != '"') {
                    char c = line[i++];
                    if (c == '\\') {
                        const char e = line.at(i++);
                        if (e == 'n')
                            c = '\n';
                        else if (e == '\\' || e == '"')
                            c = e;
                        else
                            throw std::runtime_error("bad escape: " + line);
                    }
                    value += c;
                }
                ++i;
                if (line.at(i) == ',') ++i;
                s.labels_[key] = value;
            }
            ++i;
        }
        if (line.at(i) != ' ') throw std::runtime_error("no value: " + line);
        const std::string v = line.substr(i + 1);
        if (v == "+Inf")
            s.value = HUGE_VAL;
        else {
            char* end = nullptr;
            s.value = std::strtod(v.c_str(), &end);
            if (end == v.c_str() || *end != '\0') throw std::runtime_error("bad value: " + line);
        }
        family_of(s.name, out.types);
        std::string key = s.name;
        for (const auto& [k, val] : s.labels_) key += "|" + k + "=" + val;
        if (!seen.insert(key).second) throw std::runtime_error("duplicate series: " + line);
        out.samples.push_back(std::move(s));
    }
    return out;
}

}  // namespace scorestream::testing
