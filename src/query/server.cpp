// The embedded HTTP server: Boost.Beast over Asio, on the server's own io_context and threads.
// Each connection is a session on its own strand that reads one request at a time under a deadline
// (beast::tcp_stream), answers it through query::handler, and either waits for the next request or
// closes. Nothing here blocks: a slow client only ties up its own session.
#include <scorestream/error.hpp>
#include <scorestream/query/server.hpp>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace scorestream::query {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// What every session shares; owned by server::impl, which outlives every session.
struct session_context {
    const handler* answer = nullptr;
    const server_options* options = nullptr;
    std::atomic<std::size_t> connections{0};
};

// After an answer that ends the connection, at most this much more input is read and thrown away
// before closing, so that the client reads the answer instead of a reset.
constexpr std::size_t linger_bytes = 64 * 1024;

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, session_context& ctx)
        : stream_(std::move(socket)),
          buffer_(ctx.options->max_header_bytes + ctx.options->max_body_bytes + 1024),
          ctx_(ctx) {
        ctx_.connections.fetch_add(1, std::memory_order_relaxed);
    }
    ~session() { ctx_.connections.fetch_sub(1, std::memory_order_relaxed); }

    void start() {
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read, shared_from_this()));
    }

private:
    void read() {
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(ctx_.options->max_header_bytes));
        parser_->body_limit(static_cast<std::uint64_t>(ctx_.options->max_body_bytes));
        stream_.expires_after(ctx_.options->request_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == http::error::end_of_stream) return close();
        if (ec == http::error::header_limit || ec == http::error::buffer_overflow)
            return answer_and_close(431, "request header too large");
        if (ec == http::error::body_limit) return answer_and_close(413, "request body too large");
        if (ec && ec.category() == http::make_error_code(http::error::bad_target).category())
            return answer_and_close(400, "malformed request");
        if (ec) return;  // timeout, reset, shutdown: the connection is gone

        const auto& req = parser_->get();
        const auto method = req.method_string();
        const auto target = req.target();
        const http_response r = ctx_.answer->handle(std::string_view(method.data(), method.size()),
                                                    std::string_view(target.data(), target.size()));
        write(r, req.version(), req.keep_alive());
    }

    void answer_and_close(int status, std::string_view message) {
        http_response r;
        r.status = status;
        r.body =
            "{\"error\": \"" + std::string(message) + "\", \"status\": " + std::to_string(status) + "}\n";
        write(r, 11, false);
    }

    void write(const http_response& r, unsigned version, bool keep_alive) {
        res_ = {};
        res_.version(version);
        res_.result(static_cast<unsigned>(r.status));
        res_.set(http::field::server, "scorestream");
        res_.set(http::field::content_type, r.content_type);
        res_.set(http::field::cache_control, "no-store");
        for (const auto& [name, value] : r.headers) res_.set(name, value);
        res_.keep_alive(keep_alive);
        res_.body() = r.body;
        res_.prepare_payload();
        stream_.expires_after(ctx_.options->request_timeout);
        http::async_write(stream_, res_,
                          beast::bind_front_handler(&session::on_write, shared_from_this(), keep_alive));
    }

    void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
        if (ec) return;
        if (keep_alive) return read();
        close();
    }

    // Half-close, then discard what the client still sends until it closes too (or a limit).
    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        stream_.expires_after(ctx_.options->request_timeout);
        linger();
    }

    void linger() {
        stream_.async_read_some(asio::buffer(discard_),
                                beast::bind_front_handler(&session::on_linger, shared_from_this()));
    }

    void on_linger(beast::error_code ec, std::size_t n) {
        discarded_ += n;
        if (ec || discarded_ > linger_bytes) return;  // the socket closes with the session
        linger();
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> res_;
    session_context& ctx_;
    std::array<char, 4096> discard_{};
    std::size_t discarded_ = 0;
};

std::string endpoint_text(const std::string& address, std::uint16_t port) {
    return (address.find(':') != std::string::npos ? "[" + address + "]" : address) + ":" +
           std::to_string(port);
}

}  // namespace

struct server::impl {
    impl(const state_board& board, server_options opts)
        : options(std::move(opts)), answer(board, options.handler) {
        ctx.answer = &answer;
        ctx.options = &options;
    }

    void accept() {
        acceptor->async_accept(asio::make_strand(*ioc), [this](beast::error_code ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
            if (ec) {
                // Out of descriptors or similar: try again a little later rather than spin.
                retry->expires_after(std::chrono::milliseconds(50));
                retry->async_wait([this](beast::error_code wait_ec) {
                    if (!wait_ec && acceptor->is_open()) accept();
                });
                return;
            }
            if (ctx.connections.load(std::memory_order_relaxed) >= options.max_connections) {
                beast::error_code ignored;
                socket.close(ignored);
            } else {
                std::make_shared<session>(std::move(socket), ctx)->start();
            }
            accept();
        });
    }

    void run_thread() {
        try {
            ioc->run();
        } catch (...) {
            {
                std::lock_guard<std::mutex> lock(failure_mutex);
                if (!failure) failure = std::current_exception();
            }
            running.store(false);
            ioc->stop();
        }
    }

    server_options options;
    handler answer;
    session_context ctx;
    // Declared after what sessions refer to: destroying the io_context destroys the sessions.
    std::optional<asio::io_context> ioc;
    std::optional<tcp::acceptor> acceptor;  // used on its strand only, or with no thread running
    std::optional<asio::steady_timer> retry;
    std::vector<std::thread> threads;
    std::uint16_t port = 0;
    std::atomic<bool> running{false};
    bool stopped = false;
    mutable std::mutex failure_mutex;
    std::exception_ptr failure;
};

server::server(const state_board& board, server_options options) {
    if (options.threads < 1 || options.threads > 64)
        throw invalid_value_error("query::server: threads must be 1..64, not " +
                                  std::to_string(options.threads));
    if (options.max_header_bytes < 256)
        throw invalid_value_error("query::server: max_header_bytes must be at least 256");
    if (options.max_connections < 1)
        throw invalid_value_error("query::server: max_connections must be at least 1");
    if (options.request_timeout.count() <= 0)
        throw invalid_value_error("query::server: request_timeout must be positive");
    beast::error_code ec;
    const auto address = asio::ip::make_address(options.address, ec);
    if (ec) throw invalid_value_error("query::server: '" + options.address + "' is not an IP address");

    auto p = std::make_unique<impl>(board, std::move(options));
    p->ioc.emplace(static_cast<int>(p->options.threads));
    p->acceptor.emplace(asio::make_strand(*p->ioc));
    p->retry.emplace(p->acceptor->get_executor());
    const tcp::endpoint endpoint(address, p->options.port);
    const auto fail = [&](const char* what) {
        throw io_error("query::server: cannot " + std::string(what) + " " +
                       endpoint_text(p->options.address, p->options.port) + ": " + ec.message());
    };
    p->acceptor->open(endpoint.protocol(), ec);
    if (ec) fail("open a socket for");
    p->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
    if (ec) fail("set options on");
    p->acceptor->bind(endpoint, ec);
    if (ec) fail("bind");
    p->acceptor->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) fail("listen on");
    p->port = p->acceptor->local_endpoint(ec).port();
    if (ec) fail("read the port of");

    p->accept();
    p->running.store(true);
    impl_ = std::move(p);
    try {
        for (std::size_t i = 0; i < impl_->options.threads; ++i)
            impl_->threads.emplace_back([this] { impl_->run_thread(); });
    } catch (...) {
        stop();
        throw;
    }
}

server::~server() {
    try {
        stop();
    } catch (...) {
        // A destructor must not throw; call stop() first to see the failure.
    }
}

std::uint16_t server::port() const noexcept { return impl_->port; }
const std::string& server::address() const noexcept { return impl_->options.address; }
bool server::running() const noexcept { return impl_->running.load(); }

std::exception_ptr server::failure() const {
    std::lock_guard<std::mutex> lock(impl_->failure_mutex);
    return impl_->failure;
}

void server::stop() {
    impl& s = *impl_;
    if (!s.stopped) {
        s.stopped = true;
        s.running.store(false);
        s.ioc->stop();
        for (auto& t : s.threads) t.join();
        s.threads.clear();
        // No thread runs the io_context now: close the listener, then destroy the io_context,
        // which destroys every session and so closes every open connection.
        beast::error_code ignored;
        s.acceptor->close(ignored);
        s.retry.reset();
        s.acceptor.reset();
        s.ioc.reset();
    }
    std::exception_ptr failure;
    {
        std::lock_guard<std::mutex> lock(s.failure_mutex);
        std::swap(failure, s.failure);
    }
    if (failure) std::rethrow_exception(failure);
}

}  // namespace scorestream::query
