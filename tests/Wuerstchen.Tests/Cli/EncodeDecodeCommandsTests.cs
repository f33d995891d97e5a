using Wuerstchen.IO.Png;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Tests.IO;
using static Wuerstchen.Tests.Pipelines.ImageEncoding.ImageEncodingFixtures;

namespace Wuerstchen.Tests.Cli;

/// <summary>encode / decode / reconstruct / variation on the tiny reference folders and a random-weights compressor.</summary>
public class EncodeDecodeCommandsTests
{
    private static CliRunner.Result Ok(params string[] args)
    {
        var r = CliRunner.Run(args);
        Assert.True(r.ExitCode == 0, $"exit {r.ExitCode}: {r.Error}");
        return r;
    }

    [Fact]
    public void StageA_EncodeDecodeEqualsReconstruct()
    {
        using var folder = new TempFolder();
        string image = WritePicture(folder.Path, 64, 48);
        string latent = folder.File("latent.safetensors");
        var encoded = Ok("encode", image, "--vqgan", TinyVqgan, "-o", latent);
        Assert.Contains("stage_b latents [1, 4, 16, 12]", encoded.Output);

        Ok("decode", latent, "--vqgan", TinyVqgan, "-o", folder.File("decoded.png"));
        var reconstructed = Ok("reconstruct", image, "--vqgan", TinyDecoderPipeline, "-o", folder.File("reconstructed.png"));
        Assert.Equal(File.ReadAllBytes(folder.File("decoded.png")), File.ReadAllBytes(folder.File("reconstructed.png")));
        Ok("decode", latent, "--decoder", TinyDecoderPipeline, "-o", folder.File("via-pipeline.png"));   // the pipeline's vqgan
        Assert.Equal(File.ReadAllBytes(folder.File("decoded.png")), File.ReadAllBytes(folder.File("via-pipeline.png")));

        // The printed PSNR is the library's, of the float reconstruction against the float image.
        using var codec = StageACodec.FromFolder(TinyVqgan);
        using var input = ImageFiles.ReadRgb(image);
        using var output = codec.Reconstruct(input);
        Assert.Contains($"PSNR {ImageQuality.Psnr(input, output).ToString("F2", System.Globalization.CultureInfo.InvariantCulture)} dB", reconstructed.Output);
        var png = PngFile.Read(folder.File("decoded.png")).Image;
        Assert.Equal((48, 64), (png.Width, png.Height));
    }

    [Fact]
    public void Semantic_EncodeDecodeReconstructAndVariation()
    {
        using var folder = new TempFolder();
        string image = WritePicture(folder.Path, 128, 128);
        string effnet = WriteEffnet(folder.Path);
        string latent = folder.File("stage_c.safetensors");
        Assert.Contains("stage_c latents [1, 8, 3, 3]", Ok("encode", image, "--effnet", effnet, "-o", latent).Output);

        // A prior trained with latent_mean 1 and latent_std 0 (the default model) works on the embedding itself.
        string unit = folder.File("unit.safetensors");
        Ok("encode", image, "--effnet", effnet, "--latent-mean", "1", "--latent-std", "0", "-o", unit);
        var (releasedLatent, _) = Wuerstchen.Pipelines.ImageEncoding.LatentFile.Load(latent);
        var (unitLatent, _) = Wuerstchen.Pipelines.ImageEncoding.LatentFile.Load(unit);
        using (releasedLatent)
        using (unitLatent)
        using (var embeddings = Wuerstchen.Models.StageCLatentScale.Released.ToEmbeddings(releasedLatent))
            TensorAssert.Close(embeddings, unitLatent, 1e-5, 1e-4, "latent·42 − 1 = the embedding");
        Ok("decode", unit, "--decoder", TinyDecoderPipeline, "--steps", "2", "--seed", "4", "--latent-mean", "1", "--latent-std", "0", "-o", folder.File("unit.png"));

        var decoded = Ok("decode", latent, "--decoder", TinyDecoderPipeline, "--steps", "2", "--seed", "4", "-o", folder.File("decoded.png"));
        Assert.Contains("seed 4", decoded.Error);
        var reconstructed = Ok("reconstruct", image, "--effnet", effnet, "--decoder", TinyDecoderPipeline, "--steps", "2", "--seed", "4");
        Assert.Matches(@"PSNR \d+\.\d\d dB", reconstructed.Output);

        Ok("variation", image, "--effnet", folder.Path, "--decoder", TinyDecoderPipeline, "--steps", "2", "--num-images", "2",
            "--prompt", "a red disc", "-o", folder.File("variation.png"));
        // --strength below 1 redraws from the image's own noised Stage A latent: near 0, that is Stage A's round trip.
        Ok("reconstruct", image, "--vqgan", TinyDecoderPipeline, "-o", folder.File("round-trip.png"));
        Ok("reconstruct", image, "--effnet", effnet, "--decoder", TinyDecoderPipeline, "--steps", "4", "--seed", "4", "-o", folder.File("full.png"));
        Ok("reconstruct", image, "--effnet", effnet, "--decoder", TinyDecoderPipeline, "--steps", "4", "--seed", "4", "--strength", "0.002",
            "-o", folder.File("partial.png"));
        using (var roundTrip = ImageFiles.ReadRgb(folder.File("round-trip.png")))
        using (var full = ImageFiles.ReadRgb(folder.File("full.png")))
        using (var partial = ImageFiles.ReadRgb(folder.File("partial.png")))
        {
            double near = ImageQuality.Psnr(roundTrip, partial), far = ImageQuality.Psnr(roundTrip, full);
            Assert.True(near > 35 && near > far + 10, $"PSNR to the round trip: {near:F1} dB at --strength 0.002, {far:F1} dB without");
        }
        Ok("variation", image, "--effnet", folder.Path, "--decoder", TinyDecoderPipeline, "--steps", "4", "--strength", "0.5", "-o", folder.File("near.png"));
        Assert.True(File.Exists(folder.File("near.png")));
        var first = File.ReadAllBytes(folder.File("variation-0.png"));
        var second = File.ReadAllBytes(folder.File("variation-1.png"));
        Assert.NotEqual(first, second);
        Assert.Equal((128, 128), (PngFile.Read(folder.File("variation-1.png")).Image.Width, PngFile.Read(folder.File("decoded.png")).Image.Height));
    }

    [Fact]
    public void BadInputs_AreUsageErrorsNamingTheArgument()
    {
        using var folder = new TempFolder();
        string odd = WritePicture(folder.Path, 66, 64, "odd.png");
        string square = WritePicture(folder.Path, 160, 160, "square.png");   // 120 → 4 × 4 embedding: not decodable
        string effnet = WriteEffnet(folder.Path);
        string wide = WriteEffnet(Path.Combine(folder.Path, "wide"), TinyEffnet with { CLatent = 16 });

        void Usage(string argument, string fragment, params string[] args)
        {
            var r = CliRunner.Run(args);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}, {r.Error}");
            Assert.Contains(argument, r.Error);
            Assert.Contains(fragment, r.Error);
        }

        Usage("IMAGE", "does not exist", "encode", folder.File("missing.png"), "--vqgan", TinyVqgan, "-o", folder.File("x.safetensors"));
        Usage("IMAGE", "multiples of 4", "encode", odd, "--vqgan", TinyVqgan, "-o", folder.File("x.safetensors"));
        Usage("--vqgan/--effnet", "exactly one", "encode", odd, "--vqgan", TinyVqgan, "--effnet", effnet, "-o", folder.File("x.safetensors"));
        Usage("--vqgan", "_class_name", "reconstruct", square, "--vqgan", Reference.Path_("tiny-wuerstchen", "decoder"));
        Usage("--vqgan", "does not exist", "reconstruct", square, "--vqgan", folder.File("nowhere"));
        Usage("IMAGE", "steps of 128", "reconstruct", square, "--effnet", effnet, "--decoder", TinyDecoderPipeline);
        Usage("--decoder", "8-channel", "variation", square, "--effnet", wide, "--decoder", TinyDecoderPipeline, "-o", folder.File("v.png"));
        Usage("--decoder", "needs both", "reconstruct", square, "--effnet", effnet);
        Usage("--strength", "(0, 1]", "reconstruct", square, "--effnet", effnet, "--decoder", TinyDecoderPipeline, "--strength", "0");
        Usage("--strength", "Stage A round trip", "reconstruct", square, "--vqgan", TinyVqgan, "--strength", "0.5");

        string latent = folder.File("stage_c.safetensors");
        using (var small = Wuerstchen.Tensors.Tensor.Zeros(1, 8, 3, 3)) LatentFile.Save(latent, small, LatentSpace.StageC);
        Usage("--decoder", "Stage C latents", "decode", latent, "--vqgan", TinyVqgan, "-o", folder.File("y.png"));
        string stageB = folder.File("stage_b.safetensors");
        using (var small = Wuerstchen.Tensors.Tensor.Zeros(1, 4, 3, 3)) LatentFile.Save(stageB, small, LatentSpace.StageB);
        Usage("--vqgan", "Stage B latents", "decode", stageB, "-o", folder.File("y.png"));
        Usage("LATENT", "does not exist", "decode", folder.File("none.safetensors"), "--vqgan", TinyVqgan, "-o", folder.File("y.png"));
    }
}
