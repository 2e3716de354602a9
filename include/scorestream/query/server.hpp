#pragma once
// scorestream::query::server: an embedded, read-only HTTP endpoint over a state_board.
//
//     state_board board;
//     pipeline.publish_to(board, {"scoring"});
//     query::server http(board);              // listening on 127.0.0.1, an ephemeral port
//     std::cout << http.port() << '\n';
//     pipeline.run();
//     http.stop();                            // rethrows a failure of the server's thread
//
// GET /models, /state/{data_type}, /metrics (Prometheus) and /health; see docs/query.md.
// The server owns its io_context and its threads: the data path never waits for it, because it
// reads only the immutable snapshots pipelines publish to the board. Requests are handled
// asynchronously with a deadline per request, so a slow or silent client holds only its own
// connection. Boost.Beast and Asio stay inside the compiled library (pimpl); an application with its
// own HTTP stack or event loop can use query::handler (query/handler.hpp) directly instead.
// Thread-safety: port(), running() and failure() may be called from any thread; stop() from any
// thread but one at a time; the destructor stops the server and swallows its failure.

#include <scorestream/query/handler.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>

namespace scorestream::query {

struct server_options {
    /// The address to listen on. Loopback by default: the endpoint has no authentication, so only
    /// bind it to another interface behind something that has.
    std::string address = "127.0.0.1";
    std::uint16_t port = 0;                   ///< 0: an ephemeral port, see server::port()
    std::size_t threads = 1;                  ///< threads running the server's io_context (1..64)
    std::size_t max_header_bytes = 8 * 1024;  ///< larger request line + headers: 431
    std::size_t max_body_bytes = 1024;        ///< larger request body: 413 (GET needs none)
    std::size_t max_connections = 256;        ///< connections beyond this are closed at once
    /// Time a client has to send a whole request (on a kept-alive connection: from the end of the
    /// previous response), and to take the whole response. A client that is slower is disconnected.
    std::chrono::milliseconds request_timeout{10000};
    handler_options handler;
};

class server {
public:
    /// Binds, listens and starts serving on the server's own threads before returning.
    /// Throws invalid_value_error for a malformed address or out-of-range options, and io_error
    /// when the address cannot be bound (the message names the address, port and reason).
    /// The board must outlive the server.
    explicit server(const state_board& board, server_options options = {});
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /// The port the server listens on (the ephemeral one when options.port was 0).
    std::uint16_t port() const noexcept;
    /// The address it listens on, as given in the options.
    const std::string& address() const noexcept;

    /// True until stop(), or until the server's thread failed.
    bool running() const noexcept;
    /// The exception that ended a server thread, or null.
    std::exception_ptr failure() const;

    /// Stops accepting, closes open connections, joins the threads. Idempotent. Rethrows the
    /// exception that ended a server thread, if any (once).
    void stop();

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace scorestream::query
