#pragma once
// ModelStore: reads model files named by a descriptor's `location`, confined to one root folder.
// A location is a path relative to the root. Refused, with a model_error that says why: no root
// configured, a `..` component, an absolute path outside the root, a symlink that leads outside
// the root, a missing or non-regular file, a file larger than the configured limit.
// Thread-safety: immutable after construction; read() may be called from any thread.

#include <scorestream/error.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>

namespace scorestream {

class ModelStore {
public:
    static constexpr std::uintmax_t default_max_bytes = 256u << 20;

    /// A store that refuses every location (the default: locations must be opted into).
    ModelStore() = default;

    /// A store rooted at `root`, which must exist and be a directory.
    explicit ModelStore(const std::filesystem::path& root, std::uintmax_t max_bytes = default_max_bytes)
        : max_bytes_(max_bytes) {
        std::error_code ec;
        auto canonical = std::filesystem::canonical(root, ec);
        if (ec || !std::filesystem::is_directory(canonical, ec))
            throw invalid_value_error("model root '" + root.string() + "' is not an existing directory");
        root_ = canonical;
    }

    bool has_root() const noexcept { return root_.has_value(); }
    const std::optional<std::filesystem::path>& root() const noexcept { return root_; }

    /// The canonical path `location` names inside the root; throws model_error if it is refused.
    std::filesystem::path resolve(std::string_view location) const {
        namespace fs = std::filesystem;
        const std::string where = "model location '" + std::string(location) + "'";
        if (!root_) throw model_error(where + ": no model root is configured, so locations are refused");
        if (location.empty()) throw model_error(where + ": empty path");
        fs::path p(location);
        for (const auto& part : p)
            if (part == "..") throw model_error(where + ": '..' is not allowed");
        fs::path full = p.is_absolute() ? p : *root_ / p;
        std::error_code ec;
        fs::path canonical = fs::canonical(full, ec);
        if (ec) throw model_error(where + ": cannot open: " + ec.message());
        if (!inside_root(canonical))
            throw model_error(where + ": resolves to '" + canonical.string() + "', outside the model root '" +
                              root_->string() + "'");
        if (!fs::is_regular_file(canonical, ec)) throw model_error(where + ": not a regular file");
        return canonical;
    }

    /// The bytes of the file `location` names; throws model_error if refused or unreadable.
    std::string read(std::string_view location) const {
        auto path = resolve(location);
        std::error_code ec;
        auto size = std::filesystem::file_size(path, ec);
        const std::string where = "model location '" + std::string(location) + "'";
        if (ec) throw model_error(where + ": cannot stat: " + ec.message());
        if (size > max_bytes_)
            throw model_error(where + ": " + std::to_string(size) + " bytes exceeds the limit of " +
                              std::to_string(max_bytes_));
        std::ifstream in(path, std::ios::binary);
        if (!in) throw model_error(where + ": cannot open for reading");
        std::string bytes(static_cast<std::size_t>(size), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(size));
        if (static_cast<std::uintmax_t>(in.gcount()) != size) throw model_error(where + ": short read");
        return bytes;
    }

private:
    bool inside_root(const std::filesystem::path& canonical) const {
        auto r = root_->begin();
        auto c = canonical.begin();
        for (; r != root_->end(); ++r, ++c)
            if (c == canonical.end() || *r != *c) return false;
        return true;
    }

    std::optional<std::filesystem::path> root_;
    std::uintmax_t max_bytes_ = default_max_bytes;
};

}  // namespace scorestream
