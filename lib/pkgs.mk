# The libraries libjfs.a needs: jfsd and jfsadm both link them.
PKGS := hiredis libcurl json-c libzstd liblz4 libnl-genl-3.0 sqlite3 libcrypto uuid \
	libxml-2.0 zlib libsystemd
