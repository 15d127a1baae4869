//! The sandbox CA and server certificate work for a real TLS client: a rustls client that
//! trusts only `ca_pem` completes a handshake with a tokio-rustls acceptor on 127.0.0.1,
//! for both names a kubeconfig may use, and a client trusting another CA is refused.

use kubedrift::sandbox::tls::generate_ca_and_server_cert;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::{TlsAcceptor, TlsConnector};

fn client_trusting(ca_pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.expect("CA PEM parses"))
            .expect("CA accepted as root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    TlsConnector::from(Arc::new(config))
}

/// Accept one TLS connection, read a line, answer it; returns what the server saw.
async fn serve_once(listener: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<String> {
    let (tcp, _) = listener.accept().await?;
    let mut tls = acceptor.accept(tcp).await?;
    let mut buf = [0u8; 5];
    tls.read_exact(&mut buf).await?;
    tls.write_all(b"pong\n").await?;
    tls.shutdown().await?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

async fn handshake_with(server_name: &'static str) {
    let (ca, server_config) = generate_ca_and_server_cert().expect("tls setup");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve_once(listener, TlsAcceptor::from(server_config)));

    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from(server_name).expect("server name");
    let mut tls = client_trusting(&ca.ca_pem)
        .connect(name, tcp)
        .await
        .expect("handshake succeeds with the sandbox CA");
    let (_, session) = tls.get_ref();
    assert_eq!(session.alpn_protocol(), Some(&b"http/1.1"[..]));
    tls.write_all(b"ping\n").await.expect("write");
    let mut reply = String::new();
    tls.read_to_string(&mut reply).await.expect("read");
    assert_eq!(reply, "pong\n");
    assert_eq!(server.await.expect("join").expect("server side"), "ping\n");
}

#[tokio::test]
async fn client_trusting_ca_pem_handshakes_on_127_0_0_1() {
    handshake_with("127.0.0.1").await;
}

#[tokio::test]
async fn client_trusting_ca_pem_handshakes_as_localhost() {
    handshake_with("localhost").await;
}

#[tokio::test]
async fn client_trusting_another_ca_is_refused() {
    let (_, server_config) = generate_ca_and_server_cert().expect("tls setup");
    let (other_ca, _) = generate_ca_and_server_cert().expect("tls setup");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve_once(listener, TlsAcceptor::from(server_config)));

    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("127.0.0.1").expect("server name");
    let result = client_trusting(&other_ca.ca_pem).connect(name, tcp).await;
    let Err(err) = result else {
        panic!("a foreign CA must not be trusted");
    };
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "unexpected error: {err}"
    );
    assert!(server.await.expect("join").is_err());
}

#[tokio::test]
async fn certificate_is_not_valid_for_other_names() {
    let (ca, server_config) = generate_ca_and_server_cert().expect("tls setup");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(serve_once(listener, TlsAcceptor::from(server_config)));

    let tcp = TcpStream::connect(addr).await.expect("connect");
    let name = ServerName::try_from("kubernetes.default.svc").expect("server name");
    let result = client_trusting(&ca.ca_pem).connect(name, tcp).await;
    assert!(
        result.is_err(),
        "certificate must be valid only for loopback names"
    );
    assert!(server.await.expect("join").is_err());
}
