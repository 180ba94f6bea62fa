use omega_classifier::{ClassifierError, FORMAT_VERSION, Model};

use crate::{small_config, synthetic};

#[test]
fn save_load_round_trip_keeps_predictions_and_settings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.omegaclf");
    let mut model = Model::train(&synthetic(40, 11), &small_config()).unwrap();
    model.update("printer toner empty", "Purchase").unwrap();
    model.set_abstain_threshold(0.42);
    model.save(&path).unwrap();
    let loaded = Model::load(&path).unwrap();
    assert_eq!(loaded.labels(), model.labels());
    assert_eq!(loaded.temperature(), model.temperature());
    assert_eq!(loaded.abstain_threshold(), 0.42);
    assert_eq!(loaded.updates(), 1);
    for e in synthetic(10, 12)
        .iter()
        .chain(&[omega_classifier::LabelledText::new("zzqx", "-")])
    {
        assert_eq!(loaded.predict(&e.text), model.predict(&e.text));
    }
    // The temporary file was renamed away.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn damaged_files_give_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.omegaclf");
    Model::train(&synthetic(20, 13), &small_config())
        .unwrap()
        .save(&path)
        .unwrap();
    let good = std::fs::read(&path).unwrap();

    let check = |bytes: &[u8], want: &str| {
        let p = dir.path().join("bad.omegaclf");
        std::fs::write(&p, bytes).unwrap();
        let err = Model::load(&p).unwrap_err();
        assert!(
            matches!(err, ClassifierError::CorruptModel { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains(want), "{err}");
        assert!(err.to_string().contains("bad.omegaclf"), "{err}");
    };
    // Flipped byte in the compressed body.
    let mut flipped = good.clone();
    let mid = good.len() / 2;
    flipped[mid] ^= 0x55;
    check(&flipped, "damaged");
    check(&good[..good.len() - 20], "damaged");
    check(b"OMEG", "shorter");
    check(b"{\"labels\": [\"a\"]} and more bytes", "magic");

    let mut future = good.clone();
    future[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    std::fs::write(&path, &future).unwrap();
    match Model::load(&path) {
        Err(ClassifierError::UnsupportedVersion {
            found, supported, ..
        }) => {
            assert_eq!((found, supported), (FORMAT_VERSION + 1, FORMAT_VERSION));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        Model::load(dir.path().join("missing")),
        Err(ClassifierError::Io { .. })
    ));
}
