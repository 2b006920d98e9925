# The Debian package (cpack -G DEB in a build tree): what an appliance host installs.
#
# Contents (install component "edgelb"): the five binaries and edgelb-tune, the systemd units,
# default configs under /etc/edgelb (conffiles), firmware-cfg/ and nic-profiles/, the Prometheus
# rules and Grafana dashboard, docs. Not in it: edgelb-mesos-sim and edgelb-pktgen (test and
# perf tools). Depends: the shared libraries the binaries link (dpkg-shlibdeps) plus what
# deploy/debian-packages.txt marks with "# deb: depends ..." / "# deb: recommends ...".
# Maintainer scripts: deploy/debian/. Checked by tests/package (contents, control, lintian,
# installation into a throwaway root).
include(GNUInstallDirs)

set(EDGELB_DEB_DIR ${PROJECT_SOURCE_DIR}/deploy/debian)

# Runtime dependencies declared next to the build packages they go with:
#   <package>  # deb-depends: A, B (>= 1)      or      # deb-recommends: C, D
# (an empty list names the package itself).
file(STRINGS ${PROJECT_SOURCE_DIR}/deploy/debian-packages.txt pkg_lines)
set(deb_depends "")
set(deb_recommends "")
foreach(line IN LISTS pkg_lines)
  if(line MATCHES "^([a-z0-9.+-]+)[ \t]*#[ \t]*deb-(depends|recommends):(.*)$")
    string(STRIP "${CMAKE_MATCH_3}" deps)
    if(deps STREQUAL "")
      set(deps ${CMAKE_MATCH_1})
    endif()
    list(APPEND deb_${CMAKE_MATCH_2} "${deps}")
  endif()
endforeach()
list(JOIN deb_depends ", " deb_depends)
list(JOIN deb_recommends ", " deb_recommends)

set(share ${CMAKE_INSTALL_DATADIR}/edgelb)
set(doc ${CMAKE_INSTALL_DATADIR}/doc/edgelb)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/edgelb-tune DESTINATION ${CMAKE_INSTALL_SBINDIR} COMPONENT edgelb)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/tune/edgelb_tune DESTINATION lib/edgelb/python COMPONENT edgelb
        FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(PROGRAMS ${PROJECT_SOURCE_DIR}/deploy/systemd/zookeeper-ready DESTINATION lib/edgelb COMPONENT edgelb)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/systemd/edgelb-dataplane.service
              ${PROJECT_SOURCE_DIR}/deploy/systemd/edgelb-agent.service
              ${PROJECT_SOURCE_DIR}/deploy/systemd/edgelb-apiserver.service
              ${PROJECT_SOURCE_DIR}/deploy/systemd/edgelb-zookeeper.service
        DESTINATION /lib/systemd/system COMPONENT edgelb)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/etc/modules-load-edgelb.conf DESTINATION /usr/lib/modules-load.d
        RENAME edgelb.conf COMPONENT edgelb)
# Default configs (conffiles: dpkg keeps an operator's edits across upgrades).
set(EDGELB_CONFFILES /etc/edgelb/host.yaml /etc/edgelb/dataplane.yaml /etc/edgelb/services.yaml
                     /etc/edgelb/agent.yaml
                     /etc/edgelb/apiserver.env /etc/edgelb/zookeeper/zoo.cfg)
install(FILES ${PROJECT_SOURCE_DIR}/firmware-cfg/host.yaml ${PROJECT_SOURCE_DIR}/deploy/etc/dataplane.yaml
              ${PROJECT_SOURCE_DIR}/deploy/etc/services.yaml
              ${PROJECT_SOURCE_DIR}/deploy/etc/agent.yaml ${PROJECT_SOURCE_DIR}/deploy/etc/apiserver.env
        DESTINATION /etc/edgelb COMPONENT edgelb)
install(FILES ${PROJECT_SOURCE_DIR}/deploy/etc/zookeeper/zoo.cfg DESTINATION /etc/edgelb/zookeeper COMPONENT edgelb)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/firmware-cfg DESTINATION ${share} COMPONENT edgelb)
foreach(d prometheus grafana)
  if(IS_DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/${d})
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/deploy/${d} DESTINATION ${share} COMPONENT edgelb)
  endif()
endforeach()
file(GLOB edgelb_docs ${PROJECT_SOURCE_DIR}/docs/*.md)
install(FILES ${edgelb_docs} ${EDGELB_DEB_DIR}/copyright DESTINATION ${doc} COMPONENT edgelb)
# Debian wants the changelog gzipped, reproducibly (-n: no name or time stamp).
set(changelog_gz ${CMAKE_BINARY_DIR}/package/changelog.Debian.gz)
add_custom_command(OUTPUT ${changelog_gz}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/package
  COMMAND gzip -9n -c ${EDGELB_DEB_DIR}/changelog > ${changelog_gz}
  DEPENDS ${EDGELB_DEB_DIR}/changelog VERBATIM)
add_custom_target(edgelb_deb_changelog ALL DEPENDS ${changelog_gz})
install(FILES ${changelog_gz} DESTINATION ${doc} COMPONENT edgelb)
install(FILES ${EDGELB_DEB_DIR}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME edgelb COMPONENT edgelb)

# conffiles + maintainer scripts
string(REPLACE ";" "\n" conffiles "${EDGELB_CONFFILES}")
file(WRITE ${CMAKE_BINARY_DIR}/package/conffiles "${conffiles}\n")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME edgelb)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)  # a Debian revision: not a native package (changelog.Debian.gz)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL edgelb)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_NAME edgelb)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "edgelb maintainers <maintainers@edgelb.example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "edge load balancer appliance: DPDK L4 fast path and HAProxy pools")
# The synopsis is CPACK_PACKAGE_DESCRIPTION_SUMMARY; CPack indents each line below by one space.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "edgelb runs a bare-metal public agent for Mesos/Marathon clusters: a DPDK
poll-mode dataplane balances L4 traffic (Maglev, connection tracking, DSR,
IPIP, GUE, NAT) and hands L7 to HAProxy pools that an agent renders and
supervises from pool configs in ZooKeeper, fed by the Mesos event stream.
.
This package holds the binaries, edgelb-tune (host checks and tuning),
systemd units, default configs in /etc/edgelb and the operations guide.
It starts nothing on installation.")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${deb_depends}")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "${deb_recommends}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_BINARY_DIR}/package/conffiles ${EDGELB_DEB_DIR}/postinst ${EDGELB_DEB_DIR}/prerm ${EDGELB_DEB_DIR}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
