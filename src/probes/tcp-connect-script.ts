/**
 * The TCP reachability check run on a node, as a Perl one-liner: `perl-base` is Essential on
 * Debian and Ubuntu (it is in every `debootstrap --variant=minbase`), while curl, nc and bash's
 * /dev/tcp are not everywhere. Perl gives what curl cannot: the connect() errno, by its symbolic
 * name (ECONNREFUSED, EHOSTUNREACH, …) from Errno's %! hash, so the outcome depends neither on a
 * tool's English nor on the locale nor on the architecture's errno numbers. curl 7 and 8 both
 * exit 7 for a RST and for an ICMP unreachable alike, after 0 ms.
 *
 * Arguments: host, port, seconds. Prints one line `tcp-connect <ok|ERRNO-NAME|unresolved|…>`;
 * exits 0 when connected, 1 when connect() failed, 2 when it could not try.
 * A blocking connect() interrupted by SIGALRM is the timeout (Perl runs the handler right after
 * the interrupted call returns). getaddrinfo() takes IPv4, IPv6 and DNS names alike; an IPv4
 * address, the usual case, is packed by hand instead, without loading Socket (its XS module and
 * Carp cost a small node more than the connect itself): AF_INET is 2 and the sockaddr_in layout is
 * the same on every Linux, and SOCK_STREAM is 1 everywhere but MIPS, where socket() then fails
 * and the check falls back to Socket.
 * Kept free of single quotes and backslashes: it is passed to the shell as one quoted word.
 */
export const TCP_CONNECT_PERL = [
  'use Errno; my ($s, $addr);',
  '$SIG{ALRM} = sub { print "tcp-connect ETIMEDOUT", chr 10; exit 1 };',
  'if ($ARGV[0] =~ /^([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})[.]([0-9]{1,3})$/ and !grep({ $_ > 255 } $1, $2, $3, $4) and socket($s, 2, 1, 6)) {',
  '$addr = pack("S n C4 x8", 2, $ARGV[1], $1, $2, $3, $4) } else {',
  'require Socket; my ($err, $ai) = Socket::getaddrinfo($ARGV[0], $ARGV[1], { socktype => Socket::SOCK_STREAM() });',
  'if ($err or !$ai) { print "tcp-connect unresolved", chr 10; exit 2 }',
  'socket($s, $ai->{family}, $ai->{socktype}, $ai->{protocol}) or do { print "tcp-connect nosocket", chr 10; exit 2 };',
  '$addr = $ai->{addr} }',
  'alarm $ARGV[2]; my $ok = connect($s, $addr); alarm 0;',
  'my ($e) = $ok ? ("ok") : sort(grep { $!{$_} } keys %!);',
  'print "tcp-connect ", $e // "errno" . ($! + 0), chr 10; exit($ok ? 0 : 1);',
].join(' ');
