# The Debian package (issue 14): `cpack -G DEB` in the build directory makes
# ocspcache_<version>_amd64.deb; tests/packaging/deb_test.sh builds it, runs
# lintian on it and runs what it installs. Included from the top-level
# CMakeLists.txt (CPack writes its config into the top build directory).
#
# Paths: the package installs under /usr (CPACK_PACKAGING_INSTALL_PREFIX);
# /etc and /lib/systemd are absolute, as Debian wants them whatever the
# prefix (so a plain `cmake --install` also writes there: use DESTDIR).

set(_pkg ${CMAKE_SOURCE_DIR}/packaging)
set(_gz ${CMAKE_BINARY_DIR}/packaging)
file(MAKE_DIRECTORY ${_gz})

# Debian policy: man pages and changelogs gzip -9n (no name, no timestamp),
# so the package is reproducible.
# The man page's header carries the project version (@PROJECT_VERSION@).
configure_file(${_pkg}/ocspcache.8 ${_gz}/ocspcache.8 @ONLY)
add_custom_command(OUTPUT ${_gz}/ocspcache.8.gz
  COMMAND gzip -9n -c ${_gz}/ocspcache.8 > ${_gz}/ocspcache.8.gz
  DEPENDS ${_gz}/ocspcache.8 VERBATIM)
add_custom_command(OUTPUT ${_gz}/changelog.gz
  COMMAND gzip -9n -c ${_pkg}/debian/changelog > ${_gz}/changelog.gz
  DEPENDS ${_pkg}/debian/changelog VERBATIM)
add_custom_target(package_docs ALL DEPENDS ${_gz}/ocspcache.8.gz ${_gz}/changelog.gz)

install(FILES ${_pkg}/ocspcache.toml DESTINATION /etc/ocspcache
  PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ)
install(FILES ${_pkg}/ocspcache.service DESTINATION /lib/systemd/system)
install(FILES ${_gz}/ocspcache.8.gz DESTINATION share/man/man8)
install(FILES ${_gz}/changelog.gz ${_pkg}/debian/copyright DESTINATION share/doc/ocspcache)
install(FILES ${_pkg}/prometheus/ocspcache.rules.yml ${_pkg}/examples/prometheus.yml
  DESTINATION share/ocspcache/prometheus)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/runbooks/ DESTINATION share/ocspcache/runbooks
  FILES_MATCHING PATTERN "*.md")
install(FILES ${_pkg}/grafana/ocspcache.json DESTINATION share/ocspcache/grafana)
install(FILES ${_pkg}/examples/nginx-responder.conf ${_pkg}/examples/nginx-staple-file.conf
              ${_pkg}/examples/haproxy.cfg ${_pkg}/examples/apache-stapling.conf
  DESTINATION share/ocspcache/examples)

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ocspcache)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)  # the RelWithDebInfo binary, stripped as Debian ships it
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "caching OCSP proxy and stapling service")
# The synopsis is the summary above; CPack indents these lines and turns the
# empty one into the " ." paragraph break.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "ocspcache sits between TLS servers (nginx, HAProxy, Apache) and the OCSP
responders of the CAs that issued their certificates. It answers OCSP
requests from memory, asks a responder only on a miss, validates every
answer before caching it, refreshes answers ahead of their nextUpdate,
writes staples for nginx and HAProxy, and exports the OCSP status of every
certificate it knows as Prometheus metrics.

This package ships the daemon, a hardened systemd unit, a production
default configuration, alert rules, runbooks, a Grafana dashboard and
tested examples for nginx, HAProxy, Apache and Prometheus.")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # ocspcache_<version>_amd64.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "ocspcache maintainers <ocspcache@example.org>")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps: libssl3, libevent, libsystemd0, ...
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")  # postinst creates the ocspcache user
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${_pkg}/debian/conffiles ${_pkg}/debian/postinst ${_pkg}/debian/prerm ${_pkg}/debian/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
