// The OCSP request path for one complete HTTP request (DESIGN.md steps 1-7):
// decode, look up, answer from cache or join the single flight.
#pragma once

namespace ocspcache {

class Worker;
class Connection;
struct HttpRequest;

void handle_ocsp_request(Worker& worker, Connection& conn, const HttpRequest& req);

}  // namespace ocspcache
