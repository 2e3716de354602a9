#pragma once
// model_directory_source: a control source that watches a directory of model files by polling and
// turns each new or changed model file into a proto::ModelDescriptor carrying the file's bytes.
//
// Naming convention (see docs/io.md):
//
//     <root>/<data_type>/<name>@<version><extension>        e.g.  models/wine/quality@3.pmml
//
// The directory names the data type the model serves, the file name the model's name and version
// (split at the last '@'), the extension the model type (.pmml -> PMML by default; configurable,
// e.g. ".lin" -> the custom factory "linear"). Files whose extension is not configured are not
// model files and are ignored; so are names starting with '.' and names ending in ".tmp", ".part"
// or '~', so a writer can write a temporary file and rename it into place atomically. A model file
// that cannot be named (no '@', empty name or version, directly in the root), read (dangling link,
// not a regular file, over the size limit, a link leading outside the root) is reported as
// pull::error naming the file, once per state of the file; it is retried when the file changes.
//
// Change detection: size and modification time first, then a hash of the content. A file whose
// content is unchanged (touched, or rewritten with the same bytes) is not sent again. A file whose
// mtime is too recent to rule out a same-size rewrite within the filesystem's timestamp granularity
// is re-hashed on later scans until it ages out of that window, so a rewrite that keeps mtime and
// size still counts. Files of one scan are sent oldest first (by mtime, then path), so the newest
// file of a data type is the one that ends up serving. A deleted file sends nothing (the model
// keeps serving until another replaces it).
//
// Polling: next() reads the clock only every `check_every` calls and scans when `interval` has
// passed since the last scan; the clock can be supplied (tests drive it by hand), and scan() forces
// a scan. With `once`, the source ends after delivering the first scan.
//
// Thread-safety: one thread at a time.

#include <scorestream/proto/model.pb.h>
#include <scorestream/error.hpp>
#include <scorestream/io/detail/line_reader.hpp>
#include <scorestream/io/protobuf.hpp>
#include <scorestream/stream/source.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

namespace scorestream::io {

struct model_directory_options {
    /// Model file extensions and the factory type each means. "pmml", "onnx" and "tensorflow" map
    /// to those model types; any other name is a CUSTOM model with that custom_type.
    std::map<std::string, std::string> extensions{{".pmml", "pmml"}};
    /// Time between scans.
    std::chrono::milliseconds interval{1000};
    /// The clock next() consults (default std::chrono::steady_clock::now).
    std::function<std::chrono::steady_clock::time_point()> clock;
    /// next() calls between two clock reads, so an idle loop does not read the clock every call.
    std::size_t check_every = 64;
    /// Scan once, deliver what was found, then end (batch runs).
    bool once = false;
    /// The first scan sends the files already present (otherwise they are only remembered).
    bool send_existing = true;
    /// Send a new or changed file only once a later scan sees the same size and mtime, for writers
    /// that write in place instead of renaming.
    bool require_stable = false;
    /// Hash every model file on every scan (for filesystems whose mtimes cannot be trusted).
    bool always_hash = false;
    /// Files modified within this window before a scan are re-hashed on later scans (see the top).
    std::chrono::milliseconds racy_window{2000};
    /// Larger files are refused with an error.
    std::uintmax_t max_bytes = std::uintmax_t{256} << 20;
    /// How errors name the directory; default: its path.
    std::string name;
};

/// Watches a directory of model files; see the top of this header.
class model_directory_source {
public:
    using value_type = proto::ModelDescriptor;
    using clock_type = std::chrono::steady_clock;

    /// Throws invalid_value_error for bad options. A missing or unreadable directory is not an
    /// error here: it is reported by next() and watched until it appears.
    explicit model_directory_source(std::filesystem::path root, model_directory_options options = {})
        : root_(std::move(root)), options_(std::move(options)) {
        if (options_.name.empty()) options_.name = root_.string();
        if (!options_.clock) options_.clock = [] { return clock_type::now(); };
        if (options_.check_every == 0) options_.check_every = 1;
        for (const auto& [ext, factory] : options_.extensions) {
            std::string e = lower(ext);
            if (!e.empty() && e.front() != '.') e.insert(e.begin(), '.');
            if (e.size() < 2 || factory.empty())
                throw invalid_value_error("model_directory_options: empty extension or factory name");
            if (e == ".tmp" || e == ".part" || e.back() == '~')
                throw invalid_value_error("model_directory_options: extension '" + e +
                                          "' marks temporary files");
            extensions_[e] = factory;
        }
    }

    pull next(proto::ModelDescriptor& out) {
        if (queue_.empty()) {
            if (scans_ > 0 && options_.once) return pull::end;
            if (scans_ == 0 || ++calls_ >= options_.check_every) {
                calls_ = 0;
                const auto now = options_.clock();
                if (scans_ == 0 || now >= next_scan_) {
                    scan();
                    next_scan_ = now + options_.interval;
                }
            }
            if (queue_.empty()) return scans_ > 0 && options_.once ? pull::end : pull::idle;
        }
        event& e = queue_.front();
        pull result = pull::item;
        if (e.is_error) {
            error_ = std::move(e.error);
            result = pull::error;
        } else {
            out = std::move(e.descriptor);
        }
        queue_.pop_front();
        return result;
    }

    const record_error& error() const noexcept { return error_; }

    /// Scans the directory now, whatever the interval; returns how many descriptors and errors it
    /// queued for next().
    std::size_t scan() {
        const std::size_t before = queue_.size();
        const bool first = scans_ == 0;
        ++scans_;
        std::vector<found> files;
        if (!list(files)) return queue_.size() - before;
        std::sort(files.begin(), files.end(), [](const found& a, const found& b) {
            return std::tie(a.mtime, a.rel) < std::tie(b.mtime, b.rel);
        });
        const auto scan_time = std::filesystem::file_time_type::clock::now();
        std::map<std::string, entry> seen;
        const bool quiet = first && !options_.send_existing;  // remember, do not send
        for (auto& f : files) {
            auto it = known_.find(f.rel);
            const entry prev = it == known_.end() ? entry{} : it->second;
            const bool known = it != known_.end();
            const bool same_stat = known && prev.mtime == f.mtime && prev.size == f.size;
            entry next = prev;
            next.mtime = f.mtime;
            next.size = f.size;
            next.pending = false;
            if (!f.problem.empty()) {
                // reported once per (problem, size, mtime); retried when the file changes
                if (!(same_stat && prev.problem == f.problem)) report(f.rel, f.problem);
                next.problem = f.problem;
                seen.emplace(f.rel, std::move(next));
                continue;
            }
            if (options_.require_stable && !quiet && !same_stat) {
                next.pending = true;  // new or changed: wait for a scan that sees it unchanged
                next.problem.clear();
                seen.emplace(f.rel, std::move(next));
                continue;
            }
            const bool racy = prev.has_hash && prev.mtime + options_.racy_window >= prev.hashed_at;
            const bool look = !same_stat || !prev.has_hash || !prev.problem.empty() || prev.pending || racy ||
                              options_.always_hash;
            if (!look) {
                seen.emplace(f.rel, std::move(next));
                continue;
            }
            std::string bytes;
            std::string problem = read(f, bytes);
            if (!problem.empty()) {
                if (!(same_stat && prev.problem == problem)) report(f.rel, problem);
                next.problem = std::move(problem);
                seen.emplace(f.rel, std::move(next));
                continue;
            }
            const std::uint64_t h = hash(bytes);
            const bool changed = !prev.has_hash || prev.hash != h;
            next.hash = h;
            next.has_hash = true;
            next.hashed_at = scan_time;
            next.problem.clear();
            seen.emplace(f.rel, std::move(next));
            if (changed && !quiet) send(f, std::move(bytes));
        }
        known_ = std::move(seen);
        return queue_.size() - before;
    }

    /// Number of scans so far.
    std::uint64_t scans() const noexcept { return scans_; }
    const std::filesystem::path& root() const noexcept { return root_; }

    /// The model type and custom_type a factory name means ("pmml" -> PMML, "linear" -> CUSTOM/linear).
    static void set_model_type(proto::ModelDescriptor& d, const std::string& factory) {
        if (factory == "pmml")
            d.set_model_type(proto::PMML);
        else if (factory == "onnx")
            d.set_model_type(proto::ONNX);
        else if (factory == "tensorflow")
            d.set_model_type(proto::TENSORFLOW);
        else {
            d.set_model_type(proto::CUSTOM);
            d.set_custom_type(factory);
        }
    }

private:
    using file_time = std::filesystem::file_time_type;

    struct entry {
        file_time mtime{};
        std::uintmax_t size = 0;
        std::uint64_t hash = 0;
        bool has_hash = false;
        file_time hashed_at{};  // when the hash was taken (for the racy-mtime check)
        std::string problem;    // the error last reported for this file, if any
        bool pending = false;   // require_stable: seen once, waiting for a stable second look
    };

    struct found {
        std::string rel;  // path relative to the root, '/'-separated
        std::filesystem::path path;
        std::string data_type, name, version, factory;
        file_time mtime{};
        std::uintmax_t size = 0;
        std::string problem;
    };

    struct event {
        bool is_error = false;
        proto::ModelDescriptor descriptor;
        record_error error;
    };

    static std::string lower(std::string s) {
        for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

    static bool ends_with(std::string_view s, std::string_view suffix) {
        return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
    }

    /// Names a writer uses while a file is incomplete.
    static bool ignored_name(const std::string& name) {
        return name.empty() || name.front() == '.' || ends_with(name, ".tmp") || ends_with(name, ".part") ||
               name.back() == '~';
    }

    // Lists the model files under the root; reports a directory-level problem once per problem.
    bool list(std::vector<found>& files) {
        namespace fs = std::filesystem;
        std::error_code ec;
        if (!fs::is_directory(root_, ec)) {
            directory_problem(fs::exists(root_, ec) ? "not a directory" : "no such directory");
            return false;
        }
        fs::directory_iterator top(root_, ec), end;
        if (ec) {
            directory_problem("cannot list: " + ec.message());
            return false;
        }
        for (; top != end; top.increment(ec)) {
            const fs::path& p = top->path();
            const std::string fname = p.filename().string();
            if (ignored_name(fname)) continue;
            std::error_code e2;
            if (top->is_directory(e2)) {
                list_data_type(p, fname, files);
            } else if (auto f = model_file(p, fname)) {
                f->problem =
                    "a model file must be inside a <data_type>/ directory: expected "
                    "<data_type>/<name>@<version>" +
                    lower(p.extension().string());
                files.push_back(std::move(*f));
            }
        }
        if (ec) {
            directory_problem("cannot list: " + ec.message());
            return false;
        }
        directory_problem_.clear();
        return true;
    }

    void list_data_type(const std::filesystem::path& dir, const std::string& data_type,
                        std::vector<found>& files) {
        namespace fs = std::filesystem;
        std::error_code ec;
        fs::directory_iterator it(dir, ec), end;
        if (ec) {
            listing_problem(data_type, "cannot list: " + ec.message());
            return;
        }
        for (; it != end; it.increment(ec)) {
            const fs::path& p = it->path();
            const std::string fname = p.filename().string();
            if (ignored_name(fname)) continue;
            auto f = model_file(p, fname);
            if (!f) continue;
            f->data_type = data_type;
            f->rel = data_type + "/" + fname;
            const std::string stem = p.stem().string();
            const auto at = stem.rfind('@');
            if (f->problem.empty() && (at == std::string::npos || at == 0 || at + 1 == stem.size()))
                f->problem =
                    "cannot name the model: expected <name>@<version>" + lower(p.extension().string());
            if (at != std::string::npos) {
                f->name = stem.substr(0, at);
                f->version = stem.substr(at + 1);
            }
            files.push_back(std::move(*f));
        }
        if (ec) {
            listing_problem(data_type, "cannot list: " + ec.message());
            return;
        }
        listing_problems_.erase(data_type);
    }

    // A data type directory that cannot be listed: reported once per problem.
    void listing_problem(const std::string& data_type, const std::string& problem) {
        auto& last = listing_problems_[data_type];
        if (last == problem) return;
        last = problem;
        report(data_type, problem);
    }

    // A found file when `p` has a model extension (stat problems go into found::problem).
    std::optional<found> model_file(const std::filesystem::path& p, const std::string& fname) {
        namespace fs = std::filesystem;
        auto ext = extensions_.find(lower(p.extension().string()));
        if (ext == extensions_.end()) return std::nullopt;
        found f;
        f.path = p;
        f.rel = fname;
        f.factory = ext->second;
        std::error_code ec;
        auto st = fs::status(p, ec);  // follows symlinks
        if (ec || st.type() == fs::file_type::not_found) {
            f.problem = fs::is_symlink(fs::symlink_status(p, ec)) ? "cannot read: dangling symbolic link"
                                                                  : "cannot stat: " + ec.message();
            return f;
        }
        if (st.type() != fs::file_type::regular) {
            f.problem = "cannot read: not a regular file";
            return f;
        }
        f.mtime = fs::last_write_time(p, ec);
        if (!ec) f.size = fs::file_size(p, ec);
        if (ec) f.problem = "cannot stat: " + ec.message();
        return f;
    }

    // Reads a model file; returns the problem, or "" on success.
    std::string read(const found& f, std::string& bytes) const {
        namespace fs = std::filesystem;
        if (f.size > options_.max_bytes)
            return "cannot read: " + std::to_string(f.size) + " bytes exceeds the limit of " +
                   std::to_string(options_.max_bytes);
        std::error_code ec;
        const auto canonical = fs::canonical(f.path, ec);
        const auto root = fs::canonical(root_, ec);
        if (ec) return "cannot read: " + ec.message();
        auto r = root.begin();
        auto c = canonical.begin();
        for (; r != root.end(); ++r, ++c)
            if (c == canonical.end() || *r != *c)
                return "cannot read: it leads outside the model directory, to '" + canonical.string() + "'";
        std::ifstream in(f.path, std::ios::binary);
        if (!in) return "cannot read: cannot open";
        bytes.resize(static_cast<std::size_t>(f.size));
        in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (static_cast<std::uintmax_t>(in.gcount()) != f.size)
            return "cannot read: short read (file changed?)";
        if (in.peek() != std::char_traits<char>::eof()) return "cannot read: file grew while reading";
        return {};
    }

    void send(const found& f, std::string bytes) {
        event e;
        auto& d = e.descriptor;
        d.set_name(f.name);
        d.set_version(f.version);
        d.set_data_type(f.data_type);
        d.set_description("model directory file " + f.rel);
        set_model_type(d, f.factory);
        // file_time_type has no portable conversion in C++17: go through the two clocks' "now".
        const auto sys = std::chrono::system_clock::now() +
                         std::chrono::duration_cast<std::chrono::system_clock::duration>(
                             f.mtime - file_time::clock::now());
        d.set_created_at_ms(
            std::chrono::duration_cast<std::chrono::milliseconds>(sys.time_since_epoch()).count());
        d.set_data(std::move(bytes));
        queue_.push_back(std::move(e));
    }

    void report(const std::string& rel, std::string problem) {
        event e;
        e.is_error = true;
        e.error.source = (root_ / rel).string();
        e.error.message = std::move(problem);
        queue_.push_back(std::move(e));
    }

    void directory_problem(const std::string& problem) {
        if (problem == directory_problem_) return;
        directory_problem_ = problem;
        event e;
        e.is_error = true;
        e.error.source = options_.name;
        e.error.message = "model directory: " + problem;
        queue_.push_back(std::move(e));
    }

    static std::uint64_t hash(std::string_view bytes) noexcept {
        std::uint64_t h = 14695981039346656037ull;  // FNV-1a, 64 bit
        for (unsigned char c : bytes) {
            h ^= c;
            h *= 1099511628211ull;
        }
        return h;
    }

    std::filesystem::path root_;
    model_directory_options options_;
    std::map<std::string, std::string> extensions_;
    std::map<std::string, entry> known_;
    std::deque<event> queue_;
    record_error error_;
    std::string directory_problem_;
    std::map<std::string, std::string> listing_problems_;
    std::uint64_t scans_ = 0;
    std::size_t calls_ = 0;
    clock_type::time_point next_scan_{};
};

}  // namespace scorestream::io
