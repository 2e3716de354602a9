#include <scorestream/io/model_directory.hpp>

#include "test_util.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using scorestream::pull;
using scorestream::io::model_directory_options;
using scorestream::io::model_directory_source;
using scorestream::proto::ModelDescriptor;

namespace {

/// A clock the test moves by hand: no test depends on real time passing.
struct manual_clock {
    std::chrono::steady_clock::time_point now{};
    int reads = 0;
    std::function<std::chrono::steady_clock::time_point()> fn() {
        return [this] {
            ++reads;
            return now;
        };
    }
};

model_directory_options manual(manual_clock& c) {
    model_directory_options o;
    o.clock = c.fn();
    o.interval = 10s;
    o.check_every = 1;
    return o;
}

/// Sets a file's mtime relative to now (files written by a test all share "now" otherwise).
void set_mtime(const fs::path& p, std::chrono::seconds from_now) {
    fs::last_write_time(p, fs::file_time_type::clock::now() + from_now);
}

}  // namespace

TEST_CASE("io/model_directory: new model files become descriptors named by the convention", "[io]") {
    io_test::temp_dir dir("md_new");
    io_test::write_file(dir / "wine/quality@3.pmml", "<PMML/>");
    io_test::write_file(dir / "wine/README.md", "not a model file");
    model_directory_source src(dir.path(), {});
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.name() == "quality");
    CHECK(d.version() == "3");
    CHECK(d.data_type() == "wine");
    CHECK(d.model_type() == scorestream::proto::PMML);
    CHECK(d.data() == "<PMML/>");
    CHECK(d.description() == "model directory file wine/quality@3.pmml");
    const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    CHECK(d.created_at_ms() > now_ms - 3600 * 1000);
    CHECK(d.created_at_ms() < now_ms + 3600 * 1000);
    CHECK(src.next(d) == pull::idle);
}

TEST_CASE("io/model_directory: unchanged and touched files are not sent again, changed ones are", "[io]") {
    io_test::temp_dir dir("md_changed");
    const auto file = dir / "wine/quality@1.pmml";
    io_test::write_file(file, "v1");
    set_mtime(file, -3600s);
    model_directory_source src(dir.path(), {});
    CHECK(src.scan() == 1);
    CHECK(src.scan() == 0);   // unchanged
    set_mtime(file, -1800s);  // touched: same bytes
    CHECK(src.scan() == 0);
    io_test::write_file(file, "v1 but longer");
    set_mtime(file, -1700s);
    REQUIRE(src.scan() == 1);
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.data() == "v1 but longer");
}

TEST_CASE("io/model_directory: a rewrite keeping size and mtime is still seen", "[io]") {
    io_test::temp_dir dir("md_racy");
    const auto file = dir / "wine/quality@1.pmml";
    // An mtime not yet older than the racy window (here: in the future, as with clock skew on a
    // network filesystem) cannot prove that a later rewrite changed it, so the file is re-hashed.
    io_test::write_file(file, "AAAA");
    set_mtime(file, 3600s);
    const auto mtime = fs::last_write_time(file);
    model_directory_source src(dir.path(), {});
    CHECK(src.scan() == 1);
    io_test::write_file(file, "BBBB");  // same size
    fs::last_write_time(file, mtime);   // same mtime
    REQUIRE(src.scan() == 1);
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.data() == "BBBB");
    CHECK(src.scan() == 0);  // re-hashed, same bytes: nothing new
}

TEST_CASE("io/model_directory: old mtimes are trusted unless always_hash", "[io]") {
    io_test::temp_dir dir("md_always");
    const auto file = dir / "wine/quality@1.pmml";
    io_test::write_file(file, "AAAA");
    set_mtime(file, -3600s);
    const auto mtime = fs::last_write_time(file);
    model_directory_source trusting(dir.path(), {});
    model_directory_options o;
    o.always_hash = true;
    model_directory_source hashing(dir.path(), o);
    CHECK(trusting.scan() == 1);
    CHECK(hashing.scan() == 1);
    io_test::write_file(file, "BBBB");
    fs::last_write_time(file, mtime);
    CHECK(trusting.scan() == 0);  // same size, same old mtime: not looked at (documented)
    CHECK(hashing.scan() == 1);
}

TEST_CASE("io/model_directory: temporary names are ignored until renamed into place", "[io]") {
    io_test::temp_dir dir("md_rename");
    model_directory_source src(dir.path(), {});
    io_test::write_file(dir / "wine/quality@2.pmml.tmp", "half");
    io_test::write_file(dir / "wine/.quality@2.pmml", "hidden");
    io_test::write_file(dir / "wine/quality@2.pmml~", "backup");
    io_test::write_file(dir / ".staging/quality@9.pmml", "hidden dir");
    CHECK(src.scan() == 0);
    io_test::write_file(dir / "wine/quality@2.pmml.tmp", "<PMML version=2/>");
    fs::rename(dir / "wine/quality@2.pmml.tmp", dir / "wine/quality@2.pmml");
    REQUIRE(src.scan() == 1);
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.version() == "2");
    CHECK(d.data() == "<PMML version=2/>");
}

TEST_CASE("io/model_directory: unreadable or unnamable files are errors naming the file, once", "[io]") {
    io_test::temp_dir dir("md_errors");
    const auto models = dir / "models";
    io_test::write_file(models / "wine/noversion.pmml", "x");
    io_test::write_file(models / "wine/@1.pmml", "x");
    io_test::write_file(models / "wine/name@.pmml", "x");
    io_test::write_file(models / "toplevel@1.pmml", "x");
    fs::create_directories(models / "wine/folder@1.pmml");
    fs::create_symlink(models / "nowhere.bin", models / "wine/dangling@1.pmml");
    io_test::write_file(dir / "outside/secret@1.pmml", "secret");
    fs::create_symlink(dir / "outside/secret@1.pmml", models / "wine/escape@1.pmml");
    io_test::write_file(models / "wine/good@1.pmml", "ok");

    model_directory_source src(models / "wine" / "..", {});  // a root spelled with '..' works too
    auto drained = io_test::drain(src, 50);
    REQUIRE(drained.items.size() == 1);
    CHECK(drained.items[0].name() == "good");
    std::map<std::string, std::string> by_file;
    for (const auto& e : drained.errors) by_file[fs::path(e.source).filename().string()] = e.message;
    CHECK(by_file.size() == 7);
    CHECK(drained.errors.size() == 7);
    CHECK(by_file["noversion.pmml"] == "cannot name the model: expected <name>@<version>.pmml");
    CHECK(by_file["@1.pmml"] == "cannot name the model: expected <name>@<version>.pmml");
    CHECK(by_file["name@.pmml"] == "cannot name the model: expected <name>@<version>.pmml");
    CHECK(by_file["toplevel@1.pmml"] ==
          "a model file must be inside a <data_type>/ directory: expected <data_type>/<name>@<version>.pmml");
    CHECK(by_file["folder@1.pmml"] == "cannot read: not a regular file");
    CHECK(by_file["dangling@1.pmml"] == "cannot read: dangling symbolic link");
    CHECK_THAT(by_file["escape@1.pmml"],
               Catch::StartsWith("cannot read: it leads outside the model directory"));

    CHECK(src.scan() == 0);  // each problem is reported once while the file stays as it is

    // creating the link's target makes the file readable: it is picked up
    io_test::write_file(models / "nowhere.bin", "now here");
    REQUIRE(src.scan() == 1);
    scorestream::proto::ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.name() == "dangling");
    CHECK(d.data() == "now here");
}

TEST_CASE("io/model_directory: files over the size limit are refused", "[io]") {
    io_test::temp_dir dir("md_big");
    io_test::write_file(dir / "wine/big@1.pmml", std::string(100, 'x'));
    model_directory_options o;
    o.max_bytes = 10;
    model_directory_source src(dir.path(), o);
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::error);
    CHECK(src.error().source == (dir / "wine/big@1.pmml").string());
    CHECK(src.error().message == "cannot read: 100 bytes exceeds the limit of 10");
    CHECK(src.error().to_string() ==
          (dir / "wine/big@1.pmml").string() + ": cannot read: 100 bytes exceeds the limit of 10");
}

TEST_CASE("io/model_directory: configurable extensions map to factories", "[io]") {
    io_test::temp_dir dir("md_ext");
    io_test::write_file(dir / "wine/lin@1.LIN", "1 2 3");
    io_test::write_file(dir / "wine/net@1.onnx", "onnx");
    io_test::write_file(dir / "wine/q@1.pmml", "pmml");
    model_directory_options o;
    o.extensions = {{"lin", "linear"}, {".onnx", "onnx"}};
    o.once = true;
    model_directory_source src(dir.path(), o);
    auto d = io_test::drain(src);
    REQUIRE(d.errors.empty());
    REQUIRE(d.items.size() == 2);  // .pmml is not configured here
    std::map<std::string, ModelDescriptor> by_name;
    for (auto& m : d.items) by_name[m.name()] = m;
    CHECK(by_name["lin"].model_type() == scorestream::proto::CUSTOM);
    CHECK(by_name["lin"].custom_type() == "linear");
    CHECK(by_name["net"].model_type() == scorestream::proto::ONNX);
    model_directory_options bad;
    bad.extensions = {{".tmp", "x"}};
    CHECK_THROWS_AS(model_directory_source(dir.path(), bad), scorestream::invalid_value_error);
}

TEST_CASE("io/model_directory: one scan sends the oldest file first, so the newest serves", "[io]") {
    io_test::temp_dir dir("md_order");
    io_test::write_file(dir / "wine/quality@10.pmml", "newest");
    io_test::write_file(dir / "wine/quality@9.pmml", "older");
    io_test::write_file(dir / "wine/quality@2.pmml", "oldest");
    set_mtime(dir / "wine/quality@10.pmml", -10s);
    set_mtime(dir / "wine/quality@9.pmml", -20s);
    set_mtime(dir / "wine/quality@2.pmml", -30s);
    model_directory_options o;
    o.once = true;
    model_directory_source src(dir.path(), o);
    auto d = io_test::drain(src);
    REQUIRE(d.items.size() == 3);
    CHECK(d.items[0].version() == "2");
    CHECK(d.items[1].version() == "9");
    CHECK(d.items[2].version() == "10");
}

TEST_CASE("io/model_directory: polling follows the clock and reads it only every check_every calls", "[io]") {
    io_test::temp_dir dir("md_clock");
    manual_clock clock;
    auto o = manual(clock);
    o.check_every = 4;
    model_directory_source src(dir.path(), o);
    ModelDescriptor d;
    CHECK(src.next(d) == pull::idle);  // the first call scans
    CHECK(src.scans() == 1);
    CHECK(clock.reads == 1);
    io_test::write_file(dir / "wine/quality@1.pmml", "m");
    for (int i = 0; i < 8; ++i) CHECK(src.next(d) == pull::idle);  // interval not over: no scan
    CHECK(src.scans() == 1);
    CHECK(clock.reads == 3);  // calls 4 and 8 read the clock
    clock.now += 10s;
    CHECK(src.next(d) == pull::idle);
    CHECK(src.next(d) == pull::idle);
    CHECK(src.next(d) == pull::idle);
    CHECK(src.next(d) == pull::item);  // 4th call: clock read, interval over, scan
    CHECK(d.name() == "quality");
    CHECK(src.scans() == 2);
}

TEST_CASE("io/model_directory: a missing directory is reported once, then watched", "[io]") {
    io_test::temp_dir dir("md_missing");
    manual_clock clock;
    auto o = manual(clock);
    o.interval = 0s;
    model_directory_source src(dir / "later", o);
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::error);
    CHECK(src.error().source == (dir / "later").string());
    CHECK(src.error().message == "model directory: no such directory");
    CHECK(src.next(d) == pull::idle);  // scanned again, same problem: not repeated
    CHECK(src.scans() == 2);
    io_test::write_file(dir / "later/wine/quality@1.pmml", "m");
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.data_type() == "wine");
}

TEST_CASE("io/model_directory: send_existing false only sends later files", "[io]") {
    io_test::temp_dir dir("md_existing");
    io_test::write_file(dir / "wine/quality@1.pmml", "old");
    model_directory_options o;
    o.send_existing = false;
    model_directory_source src(dir.path(), o);
    CHECK(src.scan() == 0);
    io_test::write_file(dir / "wine/quality@2.pmml", "new");
    REQUIRE(src.scan() == 1);
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.version() == "2");
}

TEST_CASE("io/model_directory: require_stable waits for a scan that sees the file unchanged", "[io]") {
    io_test::temp_dir dir("md_stable");
    const auto file = dir / "wine/quality@1.pmml";
    io_test::write_file(file, "part");
    set_mtime(file, -100s);
    model_directory_options o;
    o.require_stable = true;
    model_directory_source src(dir.path(), o);
    CHECK(src.scan() == 0);  // first sight
    io_test::write_file(file, "part and more");
    set_mtime(file, -90s);
    CHECK(src.scan() == 0);    // still growing
    REQUIRE(src.scan() == 1);  // unchanged since the last scan: sent
    ModelDescriptor d;
    REQUIRE(src.next(d) == pull::item);
    CHECK(d.data() == "part and more");
    set_mtime(file, -80s);  // touched, same bytes
    CHECK(src.scan() == 0);
    CHECK(src.scan() == 0);
}

TEST_CASE("io/model_directory: a deleted file sends nothing, a file put back is sent again", "[io]") {
    io_test::temp_dir dir("md_deleted");
    io_test::write_file(dir / "wine/quality@1.pmml", "m");
    model_directory_source src(dir.path(), {});
    CHECK(src.scan() == 1);
    fs::remove(dir / "wine/quality@1.pmml");
    CHECK(src.scan() == 0);
    io_test::write_file(dir / "wine/quality@1.pmml", "m");
    CHECK(src.scan() == 1);
}

TEST_CASE("io/model_directory: satisfies the source contract", "[io]") {
    static_assert(scorestream::is_source_v<model_directory_source>);
    static_assert(scorestream::is_source_v<scorestream::io::descriptor_file_source>);
}
