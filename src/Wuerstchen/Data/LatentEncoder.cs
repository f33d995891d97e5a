using System.Security.Cryptography;
using System.Text;
using Wuerstchen.Tensors;

namespace Wuerstchen.Data;

/// <summary>
/// A frozen image encoder whose outputs a <see cref="LatentCache"/> stores: <see cref="Encode"/> maps a batch of
/// preprocessed images [B, 3, S, S] to latents [B, …]; <see cref="Identity"/> names the exact encoder (weights and
/// any scaling), and a cache built with another identity is rebuilt rather than reused.
/// </summary>
public sealed record LatentEncoder(string Identity, Func<Tensor, Tensor> Encode)
{
    /// <summary>
    /// An identity for an encoder defined by weight files (and optional settings such as a scale factor):
    /// SHA-256 over each file's name and full contents, and <paramref name="settings"/>. Content-based, so copying
    /// or touching a file keeps the cache; retraining, swapping or editing one invalidates it.
    /// </summary>
    public static string FingerprintFiles(IEnumerable<string> paths, string settings = "")
    {
        ArgumentNullException.ThrowIfNull(paths);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var path in paths)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"Encoder file '{path}' does not exist.", path);
            sha.AppendData(Encoding.UTF8.GetBytes(Path.GetFileName(path) + "\n"));
            using var stream = File.OpenRead(path);
            var buffer = new byte[1 << 20];
            int read;
            while ((read = stream.Read(buffer)) > 0) sha.AppendData(buffer, 0, read);
        }
        sha.AppendData(Encoding.UTF8.GetBytes("\nsettings:" + settings));
        return "sha256:" + Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
