#pragma once
// Internal: reads an input (a file it opens, or a caller's std::istream) line by line for the text
// sources, counting lines, stripping a UTF-8 byte order mark and the '\r' of CRLF line ends, and
// letting a source push lines back (CSV re-reads the lines an unterminated quote swallowed).
// Never throws for I/O problems: they are reported through status() and message().

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <fstream>
#include <istream>
#include <iterator>
#include <memory>
#include <string>
#include <system_error>
#include <utility>

namespace scorestream::io::detail {

/// Why an input could not be opened, in words: "no such file", "is a directory", ...
inline std::string open_failure(const std::filesystem::path& path, int saved_errno) {
    std::error_code ec;
    auto st = std::filesystem::status(path, ec);
    if (st.type() == std::filesystem::file_type::not_found) return "cannot open: no such file";
    if (st.type() == std::filesystem::file_type::directory) return "cannot open: is a directory";
    if (saved_errno != 0) return "cannot open: " + std::generic_category().message(saved_errno);
    return "cannot open";
}

/// Keeps the first `limit` bytes of s, marking the cut, for record_error::raw.
inline std::string clip(std::string_view s, std::size_t limit = 4096) {
    if (s.size() <= limit) return std::string(s);
    return std::string(s.substr(0, limit)) + "...";
}

class line_reader {
public:
    enum class status { line, eof, failed };

    /// Opens `path`; a failure is reported by the first read().
    explicit line_reader(const std::filesystem::path& path) : name_(path.string()) {
        errno = 0;
        std::error_code ec;
        if (std::filesystem::is_directory(path, ec)) {
            open_error_ = "cannot open: is a directory";  // an ifstream would open it and fail on read
            return;
        }
        auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
        if (!*file) {
            open_error_ = open_failure(path, errno);
        } else {
            in_ = file.get();
            owned_ = std::move(file);
        }
    }

    /// Reads from a stream the caller keeps alive for the reader's lifetime.
    line_reader(std::istream& in, std::string name) : name_(std::move(name)), in_(&in) {}

    line_reader(const line_reader&) = delete;
    line_reader& operator=(const line_reader&) = delete;
    line_reader(line_reader&&) = default;
    line_reader& operator=(line_reader&&) = default;

    const std::string& name() const noexcept { return name_; }

    /// The next line into `out` (without its line end) and its 1-based number into `number`.
    /// eof after the last line; failed when the input cannot be opened or read (message() says
    /// why; reported once, then eof).
    status read(std::string& out, std::uint64_t& number) {
        if (!replay_.empty()) {
            number = replay_.front().first;
            out.swap(replay_.front().second);
            replay_.pop_front();
            return status::line;
        }
        if (!open_error_.empty()) {
            message_ = std::move(open_error_);
            open_error_.clear();
            done_ = true;
            return status::failed;
        }
        if (done_ || in_ == nullptr) return status::eof;
        if (!std::getline(*in_, out)) {
            done_ = true;
            if (in_->bad()) {
                message_ = "read error after line " + std::to_string(lines_);
                return status::failed;
            }
            return status::eof;
        }
        ++lines_;
        if (lines_ == 1 && out.compare(0, 3, "\xEF\xBB\xBF") == 0) out.erase(0, 3);
        if (!out.empty() && out.back() == '\r') out.pop_back();
        number = lines_;
        return status::line;
    }

    using numbered_line = std::pair<std::uint64_t, std::string>;

    /// Makes `lines` the next lines read, in their order, before anything not yet read.
    template <class It>
    void unread(It first, It last) {
        replay_.insert(replay_.begin(), std::make_move_iterator(first), std::make_move_iterator(last));
    }

    /// Why the last read() failed.
    const std::string& message() const noexcept { return message_; }

private:
    std::string name_;
    std::unique_ptr<std::istream> owned_;
    std::istream* in_ = nullptr;
    std::string open_error_;
    std::string message_;
    std::uint64_t lines_ = 0;
    bool done_ = false;
    std::deque<numbered_line> replay_;
};

}  // namespace scorestream::io::detail
