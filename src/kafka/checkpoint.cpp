// The checkpoint file. Layout (integers little-endian):
//
//   "SSKCKPT\n"            8 bytes, the magic
//   u32 format             1
//   u64 body_size
//   body                   body_size bytes
//   u64 checksum           FNV-1a 64 of the body
//
// body: i64 written_at_ms; u32 n, n control entries (str topic, i32 partition, i64 offset, str key,
// str payload); u32 n, n control positions and u32 n, n data positions (str topic, i32 partition,
// i64 offset); u32 n, n stats counters (u64 each, in data_source_stats order; a reader takes the
// ones it knows). str = u32 length + bytes.

#include <scorestream/kafka/checkpoint.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <iterator>

namespace scorestream::kafka {

namespace {

constexpr char magic[8] = {'S', 'S', 'K', 'C', 'K', 'P', 'T', '\n'};
constexpr std::uint32_t format = 1;

std::uint64_t fnv1a(std::string_view bytes) noexcept {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

class writer {
public:
    template <class U>
    void integer(U v) {
        for (std::size_t i = 0; i < sizeof(U); ++i)
            out.push_back(static_cast<char>((static_cast<std::uint64_t>(v) >> (8 * i)) & 0xff));
    }
    void str(std::string_view s) {
        integer(static_cast<std::uint32_t>(s.size()));
        out.append(s.data(), s.size());
    }
    void positions(const std::vector<topic_partition>& ps) {
        integer(static_cast<std::uint32_t>(ps.size()));
        for (const auto& p : ps) {
            str(p.topic);
            integer(p.partition);
            integer(p.offset);
        }
    }
    std::string out;
};

class reader {
public:
    reader(const std::string& file, std::string_view bytes, std::size_t base)
        : file_(file), bytes_(bytes), base_(base) {}

    template <class U>
    U integer(const char* what) {
        need(sizeof(U), what);
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < sizeof(U); ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[at_ + i])) << (8 * i);
        at_ += sizeof(U);
        return static_cast<U>(v);
    }
    std::string str(const char* what) {
        const auto n = integer<std::uint32_t>(what);
        need(n, what);
        std::string s(bytes_.substr(at_, n));
        at_ += n;
        return s;
    }
    std::vector<topic_partition> positions(const char* what) {
        const auto n = count(what, 4 + 4 + 8);
        std::vector<topic_partition> ps;
        for (std::uint32_t i = 0; i < n; ++i) {
            topic_partition p;
            p.topic = str(what);
            p.partition = integer<std::int32_t>(what);
            p.offset = integer<std::int64_t>(what);
            ps.push_back(std::move(p));
        }
        return ps;
    }
    // A count whose items take at least `min_item` bytes each: a count the rest of the body cannot
    // hold is corruption, refused before anything is allocated for it.
    std::uint32_t count(const char* what, std::size_t min_item) {
        const std::size_t at = at_;
        const auto n = integer<std::uint32_t>(what);
        if (static_cast<std::uint64_t>(n) * min_item > bytes_.size() - at_)
            fail(at, std::string(what) + ": count " + std::to_string(n) + " does not fit in the file");
        return n;
    }
    bool done() const noexcept { return at_ == bytes_.size(); }
    std::size_t offset() const noexcept { return base_ + at_; }
    [[noreturn]] void fail(std::size_t at, const std::string& why) const {
        throw checkpoint_error("checkpoint " + file_ + ": offset " + std::to_string(base_ + at) + ": " + why);
    }

private:
    void need(std::size_t n, const char* what) const {
        if (bytes_.size() - at_ < n) fail(at_, std::string("truncated in ") + what);
    }
    const std::string& file_;
    std::string_view bytes_;
    std::size_t base_;
    std::size_t at_ = 0;
};

// The stats counters in file order; new counters go at the end.
constexpr std::uint64_t data_source_stats::*stats_fields[] = {
    &data_source_stats::messages,      &data_source_stats::poison,  &data_source_stats::dead_lettered,
    &data_source_stats::broker_errors, &data_source_stats::commits, &data_source_stats::commit_errors,
    &data_source_stats::rebalances};
static_assert(sizeof(data_source_stats) == std::size(stats_fields) * sizeof(std::uint64_t),
              "every counter of data_source_stats is in stats_fields");

std::string sys_error(const std::string& what, const std::string& file) {
    return "checkpoint " + file + ": " + what + ": " + std::strerror(errno);
}

// Writes all of `bytes` to fd.
bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

checkpoint make_checkpoint(const control_log& log, const data_source_stats& stats,
                           std::vector<topic_partition> data_positions) {
    checkpoint c;
    c.written_at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
    c.control = log.latest;
    c.control_positions = log.positions;
    c.data_positions = std::move(data_positions);
    c.data_stats = stats;
    return c;
}

void write_checkpoint(const std::string& file, const checkpoint& c) {
    writer body;
    body.integer(c.written_at_ms);
    body.integer(static_cast<std::uint32_t>(c.control.size()));
    for (const auto& e : c.control) {
        body.str(e.topic);
        body.integer(e.partition);
        body.integer(e.offset);
        body.str(e.key);
        body.str(e.payload);
    }
    body.positions(c.control_positions);
    body.positions(c.data_positions);
    body.integer(static_cast<std::uint32_t>(std::size(stats_fields)));
    for (auto field : stats_fields) body.integer(c.data_stats.*field);

    writer all;
    all.out.append(magic, sizeof magic);
    all.integer(format);
    all.integer(static_cast<std::uint64_t>(body.out.size()));
    all.out += body.out;
    all.integer(fnv1a(body.out));

    // temp file in the same directory (rename is atomic only within a file system), fsync, rename,
    // fsync the directory so the rename itself is durable.
    const std::string temp = file + ".tmp";
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw checkpoint_error(sys_error("cannot create " + temp, file));
    if (!write_all(fd, all.out) || ::fsync(fd) != 0) {
        const std::string why = sys_error("cannot write " + temp, file);
        ::close(fd);
        ::unlink(temp.c_str());
        throw checkpoint_error(why);
    }
    if (::close(fd) != 0) {
        const std::string why = sys_error("cannot close " + temp, file);
        ::unlink(temp.c_str());
        throw checkpoint_error(why);
    }
    if (::rename(temp.c_str(), file.c_str()) != 0) {
        const std::string why = sys_error("cannot rename " + temp + " over it", file);
        ::unlink(temp.c_str());
        throw checkpoint_error(why);
    }
    const auto slash = file.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : file.substr(0, slash));
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);  // best effort: some file systems refuse fsync on directories
        ::close(dfd);
    }
}

checkpoint read_checkpoint(const std::string& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw checkpoint_error(sys_error("cannot open", file));
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw checkpoint_error(sys_error("cannot read", file));

    reader head(file, bytes, 0);
    if (bytes.size() < sizeof magic || std::memcmp(bytes.data(), magic, sizeof magic) != 0)
        head.fail(0, "not a scorestream checkpoint (bad magic)");
    std::string_view rest = std::string_view(bytes).substr(sizeof magic);
    reader header(file, rest, sizeof magic);
    const auto version = header.integer<std::uint32_t>("the header");
    if (version != format)
        header.fail(0, "format " + std::to_string(version) + ", this build reads format 1");
    const auto size = header.integer<std::uint64_t>("the header");
    const std::size_t body_at = sizeof magic + 4 + 8;
    if (bytes.size() < body_at + 8 || size > bytes.size() - body_at - 8)
        header.fail(4, "truncated: the body is " + std::to_string(size) +
                           " bytes and a checksum, the file has " + std::to_string(bytes.size() - body_at) +
                           " bytes after the header");
    const std::string_view body = std::string_view(bytes).substr(body_at, static_cast<std::size_t>(size));
    reader tail(file, std::string_view(bytes).substr(body_at + body.size()), body_at + body.size());
    const auto sum = tail.integer<std::uint64_t>("the checksum");
    if (!tail.done()) tail.fail(8, "unexpected bytes after the checksum");
    if (sum != fnv1a(body)) tail.fail(0, "checksum mismatch: the file is corrupt");

    reader r(file, body, body_at);
    checkpoint c;
    c.written_at_ms = r.integer<std::int64_t>("written_at");
    const auto entries = r.count("control messages", 4 + 4 + 8 + 4 + 4);
    for (std::uint32_t i = 0; i < entries; ++i) {
        control_log::entry e;
        e.topic = r.str("a control message");
        e.partition = r.integer<std::int32_t>("a control message");
        e.offset = r.integer<std::int64_t>("a control message");
        e.key = r.str("a control message");
        e.payload = r.str("a control message");
        c.control.push_back(std::move(e));
    }
    c.control_positions = r.positions("control positions");
    c.data_positions = r.positions("data positions");
    const auto n = r.count("stats", 8);
    for (std::uint32_t i = 0; i < n; ++i) {
        const auto v = r.integer<std::uint64_t>("stats");
        if (i < std::size(stats_fields)) c.data_stats.*stats_fields[i] = v;
    }
    if (!r.done()) r.fail(r.offset() - body_at, "unexpected bytes at the end of the body");
    return c;
}

}  // namespace scorestream::kafka
