/**
 * The UDP 8472 (VXLAN) path check, as a Perl one-liner run on both ends at once. A UDP "connect"
 * proves nothing (no handshake, and a drop looks like silence), and on a joined node the kernel's
 * own VXLAN socket holds 8472, so no program can listen there. Instead each side:
 *
 * - sends a datagram to port 8472 of every peer it was given , every 200 ms for the whole
 *   window, carrying a per-run nonce behind 8 zero bytes (a VXLAN header with no flags, which a
 *   VXLAN socket drops: nothing is decapsulated or forwarded);
 * - reads a raw IPPROTO_UDP socket, which the kernel hands a copy of every UDP datagram delivered
 *   locally, after the INPUT firewall hook (ip_local_deliver): a datagram seen there from an expected host
 *   to port 8472 with the nonce crossed the path and every local filter the VXLAN socket sits behind.
 *
 * Both ends run for the same fixed window (seconds), so neither waits on the other having started.
 * Prints `udp-listening` once the raw socket is open (else `udp-nosocket ERRNO`, exit 2: the check
 * could not run, unknown), then one line `udp-from HOST ok|none` per expected sender.
 * Arguments: port, seconds, nonce, the hosts to send to and the hosts to expect, each a
 * comma-separated list (`-` for none); IPv4 only (inet_aton).
 * Kept free of single quotes and backslashes: it is passed to the shell as one quoted word.
 * perl-base (Socket, IO::Handle) is Essential on Debian/Ubuntu; the raw socket needs root.
 */
export const UDP_EXCHANGE_PERL = [
  'use Socket qw(PF_INET SOCK_RAW SOCK_DGRAM IPPROTO_UDP inet_aton inet_ntoa pack_sockaddr_in); use Errno; $| = 1;',
  'my ($port, $secs, $nonce, $to, $from) = @ARGV;',
  'my @to = grep { $_ ne "-" } split /,/, $to; my %from = map { ($_ => 0) } grep { $_ ne "-" } split /,/, $from;',
  'socket(my $r, PF_INET, SOCK_RAW, IPPROTO_UDP) or do { my ($e) = sort(grep { $!{$_} } keys %!); print "udp-nosocket ", $e // "errno", chr 10; exit 2 };',
  'socket(my $s, PF_INET, SOCK_DGRAM, IPPROTO_UDP) or do { print "udp-nosocket send", chr 10; exit 2 };',
  'print "udp-listening", chr 10; my $msg = (chr(0) x 8) . "netcheck-preflight " . $nonce;',
  'for my $i (1 .. $secs * 5) {',
  '  for my $h (@to) { my $a = inet_aton($h); send($s, $msg, 0, pack_sockaddr_in($port, $a)) if $a; }',
  // Reads for the rest of this 200 ms slot: select() gives back the time left (Linux), so a
  // steady stream of datagrams from many peers cannot hold the loop (and starve the sends).
  '  my $left = 0.2; my $reads = 0;',
  '  while ($left > 0 && $reads++ < 1000) {',
  '    my $rin = ""; vec($rin, fileno($r), 1) = 1; (my $n, $left) = select(my $rout = $rin, undef, undef, $left);',
  '    last if $n <= 0; defined(recv($r, my $buf, 65535, 0)) or last; next if length($buf) < 28;',
  '    my $ihl = (ord(substr($buf, 0, 1)) % 16) * 4; next if length($buf) < $ihl + 8;',
  '    my $src = inet_ntoa(substr($buf, 12, 4)); my $dport = unpack("n", substr($buf, $ihl + 2, 2));',
  '    $from{$src} = 1 if $dport == $port && exists $from{$src} && index(substr($buf, $ihl + 8), $nonce) >= 0;',
  '  }',
  '}',
  'print "udp-from $_ ", ($from{$_} ? "ok" : "none"), chr 10 for sort keys %from; exit 0;',
].join(' ');
