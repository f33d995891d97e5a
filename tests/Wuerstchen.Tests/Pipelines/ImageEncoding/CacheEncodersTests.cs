using Wuerstchen.Models;
using Wuerstchen.Pipelines.ImageEncoding;
using Wuerstchen.Tensors;
using Wuerstchen.Tests.IO;

namespace Wuerstchen.Tests.Pipelines.ImageEncoding;

public class CacheEncodersTests
{
    [Fact]
    public void CacheEncoders_MapTheDatasetRangeAndFingerprintWeightsSpaceAndRange()
    {
        using var folder = new TempFolder();
        string effnetFolder = ImageEncodingFixtures.WriteEffnet(folder.Path);
        using var semantic = SemanticCodec.FromFolder(effnetFolder);
        using var vqgan = StageACodec.FromFolder(ImageEncodingFixtures.TinyVqgan);
        using var unit = ImageEncodingFixtures.Picture(64, 64);
        using var doubled = Ops.Mul(unit, 2f);
        using var signed = Ops.Sub(doubled, 1f);                          // the same picture in [−1, 1]

        var stageC = CacheEncoders.StageC(semantic, effnetFolder, Wuerstchen.IO.Png.PixelRange.MinusOneToOne, StageCLatentScale.Released);
        using (var fromSigned = stageC.Encode(signed))
        using (var direct = semantic.EncodeStageC(unit, StageCLatentScale.Released))
            TensorAssert.Close(direct, fromSigned, 1e-5, 1e-4, "stage C from [−1, 1]");
        var stageB = CacheEncoders.StageB(vqgan, ImageEncodingFixtures.TinyVqgan, Wuerstchen.IO.Png.PixelRange.ZeroToOne);
        using (var latents = stageB.Encode(unit))
        using (var direct = vqgan.Encode(unit))
            Assert.Equal(direct.ToArray(), latents.ToArray());

        var otherRange = CacheEncoders.StageC(semantic, effnetFolder, Wuerstchen.IO.Png.PixelRange.ZeroToOne, StageCLatentScale.Released);
        Assert.NotEqual(stageC.Identity, otherRange.Identity);
        var unitScale = CacheEncoders.StageC(semantic, effnetFolder, Wuerstchen.IO.Png.PixelRange.MinusOneToOne, StageCLatentScale.Identity);
        Assert.NotEqual(stageC.Identity, unitScale.Identity);            // another latent scaling, another cache
        using (var a = unitScale.Encode(signed))
        using (var released = stageC.Encode(signed))
        using (var rescaled = StageCLatentScale.Released.ToEmbeddings(released))
            TensorAssert.Close(a, rescaled, 1e-5, 1e-4, "identity scaling = the mapper output");
        Assert.Equal(stageC.Identity, CacheEncoders.StageC(semantic, effnetFolder, Wuerstchen.IO.Png.PixelRange.MinusOneToOne, StageCLatentScale.Released).Identity);
        using (var retrained = EfficientNetEncoderFactory())
            retrained.Save(effnetFolder);                                 // new weights in the same folder
        Assert.NotEqual(stageC.Identity, CacheEncoders.StageC(semantic, effnetFolder, Wuerstchen.IO.Png.PixelRange.MinusOneToOne, StageCLatentScale.Released).Identity);
    }

    private static Wuerstchen.Models.EfficientNet.EfficientNetEncoder EfficientNetEncoderFactory() =>
        Wuerstchen.Models.EfficientNet.EfficientNetEncoder.CreateForTraining(ImageEncodingFixtures.TinyEffnet, seed: 99);
}
