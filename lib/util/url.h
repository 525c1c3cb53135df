/*
 * url.h - META-URL helpers for display and early validation.
 *
 * Engines parse their own connection parameters; these functions only
 * check the syntax before anything is contacted and hide passwords from
 * whatever is printed or logged.  Forms accepted (JuiceFS 1.1):
 *   redis://[user][:pass]@host[:port][/db]      rediss://... (TLS)
 *   redis://[:pass]@h1:p1,h2:p2[/db]            cluster / sentinel host lists
 *   unix:///path/redis.sock[?db=N]
 * plus any other scheme://... with a host, for engines added later.
 */
#ifndef JFS_URL_H
#define JFS_URL_H

#include "util/err.h"

#include <stddef.h>

/*
 * Copies url into buf with its password replaced by "****"
 * (redis://user:secret@host/1 -> redis://user:****@host/1); everything
 * else is kept as typed.  Works on malformed URLs too, so error messages
 * never leak a password.  -ENAMETOOLONG if buf is too small.
 */
int url_redact(const char *url, char *buf, size_t buflen);

/*
 * 0 if url is a well-formed META-URL, else -EINVAL with jfs_errmsg()
 * saying "invalid META-URL '<redacted url>': <reason>".
 */
int url_meta_validate(const char *url);


#endif /* JFS_URL_H */
