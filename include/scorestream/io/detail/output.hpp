#pragma once
// Internal: where a sink writes: a file it opens or a caller's stream. A failure to open or write
// throws io_error naming the output: a sink cannot go on without its output.

#include <scorestream/error.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace scorestream::io::detail {

/// An output file or a caller's stream, with errors raised as io_error naming it.
class text_output {
public:
    explicit text_output(const std::filesystem::path& path) : name_(path.string()) {
        auto f = std::make_unique<std::ofstream>(path, std::ios::binary | std::ios::trunc);
        if (!*f) throw io_error(name_ + ": cannot open for writing");
        out_ = f.get();
        owned_ = std::move(f);
    }
    text_output(std::ostream& out, std::string name) : name_(std::move(name)), out_(&out) {}

    void write(std::string_view bytes) {
        out_->write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
        if (!*out_) throw io_error(name_ + ": write failed");
    }
    void flush() {
        out_->flush();
        if (!*out_) throw io_error(name_ + ": flush failed");
    }
    const std::string& name() const noexcept { return name_; }

private:
    std::string name_;
    std::unique_ptr<std::ostream> owned_;
    std::ostream* out_ = nullptr;
};

}  // namespace scorestream::io::detail
