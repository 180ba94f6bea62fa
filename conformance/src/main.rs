//! `omega-conformance`: run OMEGA's conformance suite against a server.
#[tokio::main]
async fn main() {
    let f = omega_conformance::fixture::spawn("127.0.0.1:0".parse().unwrap()).await.unwrap();
    println!("{}", f.url);
    tokio::signal::ctrl_c().await.unwrap();
}
